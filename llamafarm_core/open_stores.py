"""The vector stores this process keeps open, one per database directory.

A noun module of its own so that deleting a project (:mod:`llamafarm_core.projects`) can close
them without importing :mod:`llamafarm_core.databases`, which imports projects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llamafarm_core.components.store import VectorStore

# An embedded store kept open holds its index in memory (Chroma: every vector and its HNSW
# graph), so a server queried about many databases, or a worker writing to many, keeps only
# the most recently used ones.
MAX_OPEN_STORES = 8


@dataclass
class OpenStore:
    """An open store and what it was opened for."""

    store: VectorStore
    config_key: str
    token: str  # the generation it has seen (see databases.handle.read_generation)
    users: int = 0  # blocks using it now: it is never closed under them
    retired: bool = False  # replaced or dropped: closed when its last user is done


class OpenStores:
    """Stores kept open by this process, one per database directory, least recently used
    first.

    Keyed by directory (not config): Chroma shares one client system per directory and
    process, so two open stores on one directory would share stale state.
    """

    def __init__(self, limit: int = MAX_OPEN_STORES) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.items: dict[str, OpenStore] = {}  # insertion order = least recently used first

    def use(self, key: str, entry: OpenStore) -> None:
        """(holding :attr:`lock`) Keep ``entry`` for ``key``, in use by one more block until
        :meth:`done`; it becomes the most recently used."""
        entry.users += 1
        self.items.pop(key, None)
        self.items[key] = entry

    def retire(self, key: str, entry: OpenStore) -> None:
        """(holding :attr:`lock`) Stop handing ``entry`` out; it is closed now if no block
        uses it, else when the last one is done."""
        if self.items.get(key) is entry:
            del self.items[key]
        entry.retired = True
        if entry.users == 0:
            entry.store.close()

    def done(self, entry: OpenStore) -> None:
        """A block stopped using ``entry``. Closes it if it was retired meanwhile, and the
        least recently used idle stores past :attr:`limit`."""
        with self.lock:
            entry.users -= 1
            if entry.retired and entry.users == 0:
                entry.store.close()
            excess = len(self.items) - self.limit
            for key in [k for k, e in self.items.items() if e.users == 0][: max(0, excess)]:
                self.retire(key, self.items[key])

    def close_all(self) -> None:
        """Close every store (one a block is using: when that block is done)."""
        with self.lock:
            for key, entry in list(self.items.items()):
                self.retire(key, entry)

    def close_under(self, directory: Path) -> None:
        """Close the stores of databases under ``directory`` (a deleted project: a project
        re-created with its name must not see them), each once no block uses it."""
        prefix = str(directory).rstrip("/") + "/"
        with self.lock:
            for key in [k for k in self.items if k.startswith(prefix)]:
                self.retire(key, self.items[key])


@cache
def open_stores() -> OpenStores:
    """The process-wide registry of open stores (created on first use)."""
    return OpenStores()
