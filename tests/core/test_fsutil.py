"""Atomic file writes: one at a time and in batches (one durability barrier)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamafarm_core import fsutil


def temp_files(root: Path) -> list[Path]:
    return list(root.rglob(".tmp-*"))


@pytest.mark.parametrize("syncfs", [True, False], ids=["syncfs", "fsync-per-file"])
def test_atomic_write_many_writes_and_replaces_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: bool
) -> None:
    if not syncfs:  # as on a system without syncfs(2)
        monkeypatch.setattr(fsutil, "_libc_syncfs", lambda: None)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old.json").write_bytes(b"old")
    files = [(tmp_path / "a" / "old.json", b"new"), (tmp_path / "b" / "c" / "fresh.json", b"x" * 100_000)]
    fsutil.atomic_write_many(files)
    assert [p.read_bytes() for p, _ in files] == [b"new", b"x" * 100_000]
    assert temp_files(tmp_path) == []


def test_a_failed_batch_changes_no_file_it_had_not_renamed(tmp_path: Path) -> None:
    first, blocked, last = tmp_path / "1.json", tmp_path / "2.json", tmp_path / "3.json"
    first.write_bytes(b"old 1")
    blocked.mkdir()  # a directory where a file should go: its rename fails
    (blocked / "keep").write_text("k")
    last.write_bytes(b"old 3")
    with pytest.raises(OSError):
        fsutil.atomic_write_many([(first, b"new 1"), (blocked, b"new 2"), (last, b"new 3")])
    assert first.read_bytes() == b"new 1"  # renamed before the failure: whole
    assert blocked.is_dir() and last.read_bytes() == b"old 3"
    assert temp_files(tmp_path) == []


def test_atomic_write_bytes_leaves_no_temp_file_when_the_rename_fails(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "inside").write_text("k")
    with pytest.raises(OSError):
        fsutil.atomic_write_bytes(target, b"data")
    assert target.is_dir() and temp_files(tmp_path) == []
    fsutil.atomic_write_bytes(tmp_path / "ok.bin", b"data")
    assert (tmp_path / "ok.bin").read_bytes() == b"data"
