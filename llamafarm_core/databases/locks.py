"""Advisory file locks (fcntl.flock) shared by threads and processes on one machine."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC


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
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
