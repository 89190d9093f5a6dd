"""flock-based locks (the database and project locks): shared among readers, exclusive for a
writer, across threads (each hold is its own open file) and processes alike; and
``no_waiting``, under which a busy lock raises instead of waiting (work on the event loop)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from llamafarm_core.file_locks import LockBusy, file_lock, no_waiting


def _try(path: Path, exclusive: bool, got: list[bool]) -> threading.Thread:
    """Take the lock in another thread; record when it is held (then let go at once)."""

    def take() -> None:
        with file_lock(path, exclusive=exclusive):
            got.append(True)

    thread = threading.Thread(target=take)
    thread.start()
    return thread


def test_readers_share_and_a_writer_waits_for_them(tmp_path: Path) -> None:
    lock = tmp_path / "missing" / "folder" / "access.lock"  # made on first use
    got: list[bool] = []
    with file_lock(lock, exclusive=False):
        reader = _try(lock, False, got)
        reader.join(10)
        assert got == [True]  # a second reader did not wait
        writer = _try(lock, True, got)
        writer.join(0.3)
        assert writer.is_alive() and got == [True]  # the writer waits for the reader
    writer.join(10)
    assert got == [True, True]


def test_a_writer_excludes_readers_until_it_ends(tmp_path: Path) -> None:
    lock = tmp_path / "access.lock"
    got: list[bool] = []
    with file_lock(lock, exclusive=True):
        reader = _try(lock, False, got)
        reader.join(0.3)
        assert reader.is_alive() and got == []
    reader.join(10)
    assert got == [True]


def test_no_waiting_raises_instead_of_waiting_and_only_in_its_block(tmp_path: Path) -> None:
    lock = tmp_path / "access.lock"
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with file_lock(lock, exclusive=True):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(10)
    with no_waiting(), pytest.raises(LockBusy), file_lock(lock, exclusive=False):
        pass
    got: list[bool] = []
    waiting = _try(lock, False, got)  # outside the block (another thread too): waits
    waiting.join(0.3)
    assert waiting.is_alive()
    release.set()
    thread.join(10)
    waiting.join(10)
    assert got == [True]
    with no_waiting(), file_lock(lock, exclusive=False):  # free: taken as usual
        got.append(True)
    assert got == [True, True]
