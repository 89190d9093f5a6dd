"""Parsed ``llamafarm.yaml`` files, kept per process until the file changes.

A request reads its project's config; parsing it (YAML + pydantic) on every request is most
of a query's cost. :class:`ConfigCache` parses a file once per version: a version is the
file's identity (device, inode, size, mtime_ns, ctime_ns). Every writer replaces the file
atomically (a new inode), so any write changes the identity. As in git's index, a file whose
mtime is too close to the moment it was read is "racily clean" (a second write in the same
clock tick could keep size and times, and reuse a freed inode): for those the bytes are
compared too, until the file is old enough for its stat to be trusted.

Configs returned are shared between callers: treat them as read-only.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from llamafarm_core.config.loader import load_yaml_text, parse_config
from llamafarm_core.config.models import LlamaFarmConfig
from llamafarm_core.fsutil import StatKey, settled, stat_key

MAX_ENTRIES = 256


@dataclass
class _Entry:
    key: StatKey
    data: bytes
    config: LlamaFarmConfig
    trusted: bool  # the stat alone identifies this version


class ConfigCache:
    """``load(path)``: the parsed config of ``path`` (None when there is no such file)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, _Entry] = OrderedDict()
        self._max = max_entries
        self.parses = 0  # how many times a file was actually parsed (for tests and benches)

    def load(self, path: Path) -> LlamaFarmConfig | None:
        name = str(path)
        try:
            st = os.stat(name)
        except (FileNotFoundError, NotADirectoryError):
            self.forget(path)
            return None
        key = stat_key(st)
        with self._lock:
            entry = self._items.get(name)
            if entry is not None and entry.key == key and entry.trusted:
                self._items.move_to_end(name)
                return entry.config
        try:
            data = Path(name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        # The stat after reading identifies what we read only if it did not change meanwhile.
        key_after = stat_key(os.stat(name))
        trusted = key_after == key and settled(st)
        if entry is not None and entry.data == data:
            config = entry.config
        else:
            config = parse_config(load_yaml_text(data.decode("utf-8"), name))
            self.parses += 1
        with self._lock:
            self._items[name] = _Entry(
                key_after if key_after == key else (0, 0, 0, 0, 0), data, config, trusted
            )
            self._items.move_to_end(name)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return config

    def forget(self, path: Path) -> None:
        with self._lock:
            self._items.pop(str(path), None)
