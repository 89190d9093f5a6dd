"""Small file-system helpers: atomic writes and JSON documents on disk."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The temp file lives in the same directory (same file system) and is fsync'ed before the
    rename; a crash leaves at most a stray ``.tmp-*`` file, never a truncated target.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
