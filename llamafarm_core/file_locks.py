"""Advisory file locks (fcntl.flock) shared by threads and processes on one machine."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
_NO_WAITING: ContextVar[bool] = ContextVar("llamafarm_no_waiting", default=False)


class LockBusy(Exception):
    """A lock was held elsewhere while :func:`no_waiting` was in force."""


@contextmanager
def no_waiting() -> Iterator[None]:
    """In this block (this thread's context), a :func:`file_lock` held elsewhere raises
    :class:`LockBusy` instead of waiting: for work on the event loop, which must not sit
    behind a writer's lock (``llamafarm_server/on_loop.py``)."""
    token = _NO_WAITING.set(True)
    try:
        yield
    finally:
        _NO_WAITING.reset(token)


@contextmanager
def file_lock(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold a shared (readers) or exclusive (writer) lock on ``path`` for the block.

    flock locks belong to the open file, so two threads of one process exclude each other
    exactly as two processes do. Every query takes one, so it is a bare descriptor (no
    Python file object) and the folder is made only when it is missing.
    """
    try:
        fd = os.open(path, _FLAGS, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, _FLAGS, 0o644)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        if _NO_WAITING.get():
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockBusy(str(path)) from None
        else:
            fcntl.flock(fd, mode)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
