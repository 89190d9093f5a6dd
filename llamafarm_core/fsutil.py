"""Small file-system helpers: atomic writes and JSON documents on disk."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

StatKey = tuple[int, int, int, int, int]
# Wall-clock distance under which an mtime is not trusted alone (coarse fs timestamps): a
# file written that recently may be rewritten within the same tick, keeping its stat.
RACY_NS = 2_000_000_000


def settled(st: os.stat_result) -> bool:
    """Is the file old enough (:data:`RACY_NS`) for its stat alone to identify its version?"""
    return time.time_ns() - st.st_mtime_ns > RACY_NS


def stat_key(st: os.stat_result) -> StatKey:
    """A file version's identity from its stat (device, inode, size, mtime, ctime): an
    atomic replace gives a new inode, an edit in place a new mtime/ctime. Caches of parsed
    files compare it to know when to read again."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The temp file lives in the same directory (same file system) and is fsync'ed before the
    rename; a crash leaves at most a stray ``.tmp-*`` file, never a truncated target.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data, fsync=True)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def atomic_write_many(files: Sequence[tuple[Path, bytes]]) -> None:
    """:func:`atomic_write_bytes` for many files, with one durability barrier for all.

    Each file is written to a temp file beside it; then one ``syncfs`` per directory makes
    every temp file durable (one journal commit, where a ``fsync`` per file costs a commit
    each); then each is renamed into place and each directory is synced once. Readers see the
    old file or the new one, never half; a crash leaves at most stray ``.tmp-*`` files
    (swept by :func:`sweep_temp_files`); on an error, no file not yet renamed changes.
    Where ``syncfs`` is missing (not Linux), each temp file is fsync'ed instead.
    """
    directories = {path.parent for path, _ in files}
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)
    syncfs = _libc_syncfs()
    written: list[tuple[str, Path]] = []
    try:
        for path, data in files:
            written.append((_write_temp(path, data, fsync=syncfs is None), path))
        if syncfs is not None:
            for directory in directories:  # usually one: each may be on its own file system
                _run_syncfs(syncfs, directory)
        while written:
            tmp, path = written[0]
            os.replace(tmp, path)
            written.pop(0)
    except BaseException:
        for tmp, _ in written:
            _unlink(tmp)
        raise
    for directory in directories:
        _fsync_dir(directory)


def _write_temp(path: Path, data: bytes, *, fsync: bool) -> str:
    """``data`` in a new ``.tmp-*`` file beside ``path`` (closed; fsync'ed if asked)."""
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@cache
def _libc_syncfs() -> Any:
    """glibc's ``syncfs(fd)`` (Linux), or None."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def _run_syncfs(syncfs: Any, directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            import ctypes

            errno = ctypes.get_errno()
            raise OSError(errno, f"syncfs: {os.strerror(errno)}")
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the renames stand
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True, default=str))


def read_json(path: Path, default: Any = None) -> Any:
    """Read a JSON document; ``default`` when the file doesn't exist."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def dir_size(path: Path) -> int:
    """Total size in bytes of the regular files under ``path`` (0 when it doesn't exist)."""
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def sweep_temp_files(root: Path, older_than: float = 0.0) -> int:
    """Remove what interrupted writes left under ``root``: ``.tmp-*`` files of
    :func:`atomic_write_bytes` and partial uploads in ``.tmp`` directories, untouched for
    ``older_than`` seconds (0: all; only when no other process can be writing). Returns how
    many were removed."""
    import time

    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than
    removed = 0
    for dirpath, _, filenames in os.walk(root):
        in_tmp_dir = os.path.basename(dirpath) == ".tmp"
        for name in filenames:
            if not (in_tmp_dir or name.startswith(".tmp-")):
                continue
            path = os.path.join(dirpath, name)
            try:
                if older_than <= 0 or os.stat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                continue
    return removed
