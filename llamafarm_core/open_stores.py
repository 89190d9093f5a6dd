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


@dataclass
class OpenStore:
    """An open store and what it was opened for."""

    store: VectorStore
    config_key: str
    token: str  # the generation it has seen (see databases.handle.read_generation)


class OpenStores:
    """Stores kept open by this process, one per database directory.

    Keyed by directory (not config): Chroma shares one client system per directory and
    process, so two open stores on one directory would share stale state.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, OpenStore] = {}

    def close_all(self) -> None:
        with self.lock:
            items, self.items = list(self.items.values()), {}
        for entry in items:
            entry.store.close()

    def close_under(self, directory: Path) -> None:
        """Close the stores of databases under ``directory`` (a deleted project: a project
        re-created with its name must not see them)."""
        prefix = str(directory).rstrip("/") + "/"
        with self.lock:
            gone = [k for k in self.items if k.startswith(prefix)]
            items = [self.items.pop(k) for k in gone]
        for entry in items:
            entry.store.close()


@cache
def open_stores() -> OpenStores:
    """The process-wide registry of open stores (created on first use)."""
    return OpenStores()
