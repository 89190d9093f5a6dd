"""Vector stores keep chunk records and search them by vector."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path

from llamafarm_core.components.base import Component, ConfigT
from llamafarm_core.vectors import ChunkRecord, FilterCondition, ScoredId, SearchHit


class VectorStore(Component[ConfigT]):
    """One collection of one database.

    Built as ``Store(config, path=..., collection=...)``: ``path`` is the database's own
    directory under the project (for embedded/local modes), ``collection`` the default
    collection name (the config may override it). Scores returned by :meth:`search` are in
    [0, 1], higher is better, whatever the distance metric.
    """

    def __init__(self, config: ConfigT, *, path: Path, collection: str) -> None:
        super().__init__(config)
        self.path = path
        self.collection = collection

    @property
    def is_local(self) -> bool:
        """True when data lives in ``path`` and access across processes must be serialised."""
        return True

    @property
    def stays_open(self) -> bool:
        """True when this process may keep the store open for reads between locked blocks
        while other processes write: it must hold no lock on ``path`` while idle, and be
        reopened (which the database layer does after any write) to see new data.
        Remote stores stay open; a local store says so itself."""
        return not self.is_local

    @abstractmethod
    def add(self, records: Sequence[ChunkRecord]) -> None:
        """Insert or replace records by id."""

    @abstractmethod
    def search(
        self, embedding: Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[SearchHit]: ...

    def search_ids(
        self, embedding: Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[ScoredId]:
        """Like :meth:`search`, best first, without texts and metadata. A store that can
        skip reading them (Chroma, Qdrant) overrides this; hybrid search takes its many
        candidates this way and fetches only the ones it returns."""
        return [ScoredId(h.id, h.score) for h in self.search(embedding, top_k, filters)]

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def ids_for_file(self, file_hash: str) -> list[str]: ...

    @abstractmethod
    def delete(self, ids: Sequence[str]) -> None: ...

    def delete_file(self, file_hash: str) -> int:
        """Delete every chunk of a file; returns how many were deleted."""
        ids = self.ids_for_file(file_hash)
        if ids:
            self.delete(ids)
        return len(ids)

    @abstractmethod
    def get(self, ids: Sequence[str]) -> list[SearchHit]:
        """Records by id (score 1.0), in no particular order; unknown ids are left out."""

    def vectors(self, ids: Sequence[str]) -> dict[str, Sequence[float]] | None:
        """Stored vectors by id (unknown ids left out), for an exact search among a few
        chunks (``llamafarm_core.retrieval.exact``); None when this store can't read them
        back (the default: the caller then searches with :meth:`search_ids`)."""
        return None

    @abstractmethod
    def file_counts(self) -> dict[str, int]:
        """Chunks stored per file hash."""

    def size_bytes(self) -> int:
        from llamafarm_core.fsutil import dir_size

        return dir_size(self.path) if self.is_local else 0

    def close(self) -> None:
        """Release clients and file locks."""
