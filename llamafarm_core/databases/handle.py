"""One configured database (a ``rag.databases[]`` entry) of one project."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from llamafarm_core.components.embedder import Embedder
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.store import VectorStore
from llamafarm_core.config.models import Database
from llamafarm_core.databases.embedders import EmbedderCache
from llamafarm_core.databases.model_record import (
    ModelRecord,
    check_model,
    read_model_record,
    write_model_record,
)
from llamafarm_core.errors import BadRequest
from llamafarm_core.file_locks import file_lock
from llamafarm_core.fsutil import StatKey, atomic_write_text, dir_size, settled, stat_key
from llamafarm_core.lexical.index import LexicalIndex
from llamafarm_core.open_stores import OpenStore, open_stores
from llamafarm_core.plugins.registry import Registry

LOCK_FILE = "access.lock"
MODEL_FILE = "collection.json"
LEXICAL_FILE = "lexical.sqlite"
GENERATION_FILE = "generation"
STORES_DIR = "stores"  # a project's databases: <project>/stores/<database>


@dataclass(frozen=True)
class DatabaseInfo:
    """What :meth:`DatabaseHandle.info` reports."""

    name: str
    type: str
    chunk_count: int
    document_count: int
    lexical_count: int
    size_bytes: int
    embedder: str | None
    model: ModelRecord | None


def read_generation(path: Path) -> str:
    """The database's write generation: a random token every writer replaces ("" before
    the first write). Read under the database's lock, by every query: a bare descriptor."""
    try:
        fd = os.open(path / GENERATION_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    try:
        return os.read(fd, 256).decode("ascii")
    finally:
        os.close(fd)


def bump_generation(path: Path) -> str:
    """Mark a write (call under the exclusive lock); returns the new token."""
    token = uuid.uuid4().hex
    atomic_write_text(path / GENERATION_FILE, token)
    return token


class DatabaseHandle:
    """Access to a database's vector store, lexical index and embedder.

    Cheap to create; nothing is opened until used. See :mod:`llamafarm_core.databases`.
    """

    def __init__(
        self, registry: Registry, project_dir: Path, database: Database, index: int, embedders: EmbedderCache
    ) -> None:
        self.registry = registry
        self.database = database
        self.name = database.name
        self.where = f"rag.databases[{index}]"
        self.path = project_dir / STORES_DIR / database.name
        self.lexical = LexicalIndex(self.path / LEXICAL_FILE)
        self._embedders = embedders
        self._project_key = str(project_dir)
        # What a query needs again and again, kept for this handle's life (a query keeps its
        # handle as long as the config it came from: llamafarm_core/retrieval/plans.py)
        self._embedder: Embedder | None = None
        self._model: tuple[StatKey, ModelRecord | None] | None = None
        self._config_key = f"{database.type}:" + json.dumps(database.config, sort_keys=True, default=str)

    # -- embedding -------------------------------------------------------------------------

    @property
    def embedder_type(self) -> str | None:
        strategy = self.database.embedding_strategy()
        return strategy.type if strategy else None

    def embedder(self) -> Embedder:
        """The configured embedder (cached per process). BadRequest when none is configured."""
        if self._embedder is not None:
            return self._embedder
        strategy = self.database.embedding_strategy()
        if strategy is None:
            raise BadRequest(f"database {self.name!r} has no embedding_strategies; configure one")
        index = self.database.embedding_strategies.index(strategy)
        self._embedder = self._embedders.get(
            self.registry, strategy, where=f"{self.where}.embedding_strategies[{index}].config"
        )
        return self._embedder

    def model(self) -> ModelRecord | None:
        """The model that produced the stored vectors (None before the first write).

        Read again only when the file's identity changed (a writer replaces it atomically: a
        new inode), and every time while it is too young for its stat to be trusted
        (:func:`~llamafarm_core.fsutil.settled`; see :mod:`llamafarm_core.config.cache`)."""
        path = self.path / MODEL_FILE
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self._model = None
            return None
        key = stat_key(st)
        cached = self._model
        if cached is not None and cached[0] == key:
            return cached[1]
        record = read_model_record(path)
        with contextlib.suppress(FileNotFoundError):
            if stat_key(os.stat(path)) == key and settled(st):
                self._model = (key, record)
        return record

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts for storage; refuses a model other than the recorded one."""
        return self._checked(lambda embedder: embedder.embed(list(texts)))

    def embed_query(self, text: str) -> list[float]:
        """The query vector (``Embedder.embed_query``), checked the same way."""
        return self._checked(lambda embedder: [embedder.embed_query(text)])[0]

    def _checked(self, embed: Callable[[Embedder], list[list[float]]]) -> list[list[float]]:
        """``embed`` with the configured embedder, its model and then the vectors' dimension
        checked against the database's record."""
        embedder = self.embedder()
        record = self.model()
        check_model(record, self.name, embedder.model_id)
        vectors = embed(embedder)
        if vectors:
            check_model(record, self.name, embedder.model_id, len(vectors[0]))
        return vectors

    def ensure_model(self, store: VectorStore, dimension: int) -> ModelRecord:
        """Record (first write) or check the model; call inside :meth:`writing`.

        An empty store takes the new model: nothing would be mixed.
        """
        embedder = self.embedder()
        record = self.model()
        if record is not None:
            try:
                check_model(record, self.name, embedder.model_id, dimension)
                return record
            except BadRequest:
                if store.count() > 0:
                    raise
        return write_model_record(
            self.path / MODEL_FILE, embedder.model_id, dimension, self.embedder_type or ""
        )

    # -- store access ----------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[VectorStore]:
        """The store, under a shared lock (many readers, no writer)."""
        with file_lock(self.path / LOCK_FILE, exclusive=False), self._open(write=False) as store:
            yield store

    @contextmanager
    def writing(self) -> Iterator[VectorStore]:
        """The store, under an exclusive lock. Update :attr:`lexical` inside the same block."""
        with file_lock(self.path / LOCK_FILE, exclusive=True), self._open(write=True) as store:
            yield store

    @contextmanager
    def _open(self, *, write: bool) -> Iterator[VectorStore]:
        """The store, called under the lock (see :mod:`llamafarm_core.databases`).

        A store that may stay open (``stays_open``) is kept, one per database directory, and
        reused by reads and writes alike while the database's generation is the one it has
        seen (a remote store: always). A write replaces the generation and, when it ends
        without an error, records the new one as seen by the store it wrote through: that
        store's view holds its own write, the only one since. So a worker that writes job
        after job keeps its embedded client (and its in-memory index) instead of reopening
        it and replaying Chroma's log every time; every other process reopens before its
        next read or write. A store that cannot stay open is opened for the block only.
        """
        config_key = self._config_key
        stores = open_stores()
        key = str(self.path)
        with stores.lock:
            entry = stores.items.get(key)
            if entry is not None and entry.config_key == config_key and not entry.store.is_local:
                stores.use(key, entry)  # a remote store: shared by every process, no token
            else:
                entry = None
        if entry is None:
            token = read_generation(self.path)
            with stores.lock:
                entry = stores.items.get(key)
                if entry is not None and (
                    entry.config_key != config_key or (entry.store.is_local and entry.token != token)
                ):
                    # Written by another process since (its write waited for every shared
                    # lock, so no block here is reading it), or the config changed.
                    stores.retire(key, entry)
                    entry = None
                if entry is None:
                    store = self._build()
                    if store.stays_open:
                        entry = OpenStore(store, config_key, token)
                if entry is not None:
                    stores.use(key, entry)
            if entry is None:  # opened for this block only
                try:
                    yield store
                finally:
                    try:
                        store.close()
                    finally:
                        if write:
                            bump_generation(self.path)
                return
        ended = False
        try:
            yield entry.store
            ended = True
        finally:
            try:
                if write:
                    token = bump_generation(self.path)
                    with stores.lock:
                        if ended:
                            entry.token = token
                        elif entry.store.is_local:
                            # A write that failed part-way: what its client holds is not trusted.
                            stores.retire(key, entry)
            finally:
                stores.done(entry)

    def _build(self) -> VectorStore:
        self.path.mkdir(parents=True, exist_ok=True)
        return self.registry.build_as(
            PluginKind.VECTOR_STORE,
            VectorStore,
            self.database.type,
            self.database.config,
            where=f"{self.where}.config",
            path=self.path,
            collection=self.name,
        )

    # -- maintenance -----------------------------------------------------------------------

    def delete_files(self, file_hashes: Sequence[str]) -> dict[str, int]:
        """Remove every chunk of these files from the store and the lexical index.

        Returns chunks removed per file (as counted by the vector store). When the store is
        left empty, the model record is dropped too, so the next write may use any model.
        """
        removed: dict[str, int] = {}
        if not file_hashes:
            return removed
        with self.writing() as store:
            for file_hash in file_hashes:
                removed[file_hash] = store.delete_file(file_hash)
                self.lexical.delete_file(file_hash)
            if store.count() == 0:
                (self.path / MODEL_FILE).unlink(missing_ok=True)
        return removed

    def info(self) -> DatabaseInfo:
        """Counts, size on disk and the recorded model."""
        with self.reading() as store:
            chunks = store.count()
            documents = len(store.file_counts())
            size = dir_size(self.path) if store.is_local else dir_size(self.path) + store.size_bytes()
        return DatabaseInfo(
            name=self.name,
            type=self.database.type,
            chunk_count=chunks,
            document_count=documents,
            lexical_count=self.lexical.count() if (self.path / LEXICAL_FILE).exists() else 0,
            size_bytes=size,
            embedder=self.embedder_type,
            model=self.model(),
        )
