"""The database access layer: one place that turns a ``rag.databases[]`` entry into a vector
store, an embedder and a lexical index, safely shared by the server and worker processes.

API (everything else in this package is an implementation detail)::

    from llamafarm_core.databases import open_database

    handle = open_database(registry, project, "main_db")  # None: default database
    vector = handle.embed_query("what is lift?")       # checked against the recorded model
    with handle.reading() as store:                    # shared lock; store opened + closed
        hits = store.search(vector, top_k=5)
    lexical_hits = handle.lexical.search("lift", 5)    # BM25 (SQLite FTS5), same chunk ids
    with handle.writing() as store:                    # exclusive lock
        handle.ensure_model(store, dimension)          # record/check model before adding
        store.add(records); handle.lexical.add(records)
    handle.delete_files([file_hash])                   # store + lexical, one lock
    handle.info()  # DatabaseInfo: chunk/document/lexical counts, size on disk, model record

Rules:

- ``open_database`` is cheap (nothing opened). Unknown database → BadRequest naming the known
  ones; a project without ``rag`` → BadRequest.
- Every ``reading()``/``writing()`` block holds an fcntl lock file in ``stores/{db}/``
  (shared for reads, exclusive for writes), across threads and processes.
- Reads and writes reuse an open store when it ``stays_open`` (embedded Chroma, any remote
  store) and nobody else wrote since: ``stores/{db}/generation`` holds a random token that
  every write block replaces (under the exclusive lock). A block compares it, under its
  lock, with the token its open store has seen and reopens on a change, so a read never
  runs beside a write and never serves vectors older than the last write (an embedded
  Chroma client does not see another process's new vectors by itself), and a write never
  goes through a client that missed one. A write that succeeds records its new token as
  seen by its store (its view holds that write); a failed one drops the store. At most
  ``open_stores.MAX_OPEN_STORES`` stay open, least recently used closed first. Local stores
  that lock their directory while open (local Qdrant) are opened and closed in every block.
- Embedders are built once per process per (class, config) (:mod:`.embedders`) — loading a
  model is expensive. ``handle.embedder()`` gives the instance.
- ``stores/{db}/collection.json`` records the embedder's ``model_id`` and vector dimension
  on the first write (:meth:`DatabaseHandle.ensure_model`). A later write or query with a
  different model or dimension raises :class:`EmbedderMismatch` (a 400) saying to reindex.
"""

from __future__ import annotations

from llamafarm_core.config.models import Database, Rag
from llamafarm_core.databases.embedders import EmbedderCache, default_embedder_cache
from llamafarm_core.databases.handle import DatabaseHandle, DatabaseInfo
from llamafarm_core.databases.model_record import EmbedderMismatch, ModelRecord
from llamafarm_core.errors import BadRequest
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project

__all__ = [
    "DatabaseHandle",
    "DatabaseInfo",
    "EmbedderCache",
    "EmbedderMismatch",
    "ModelRecord",
    "find_database",
    "open_database",
    "require_rag",
]


def require_rag(project: Project) -> Rag:
    """The project's ``rag`` section; BadRequest when it has none."""
    if project.config.rag is None:
        raise BadRequest(
            f"project {project.namespace}/{project.name} has no 'rag' section; "
            "add rag.databases and rag.data_processing_strategies to its config"
        )
    return project.config.rag


def find_database(project: Project, name: str | None) -> Database:
    """The named (None: the default) database of ``project``; BadRequest when it has no
    ``rag`` section or no such database."""
    return require_rag(project).require_database(name)


def open_database(
    registry: Registry,
    project: Project,
    name: str | None = None,
    *,
    embedders: EmbedderCache | None = None,
) -> DatabaseHandle:
    """A handle on database ``name`` (or the default one) of ``project``."""
    rag = require_rag(project)
    database = rag.require_database(name)
    return DatabaseHandle(
        registry,
        project.path,
        database,
        rag.databases.index(database),
        embedders or default_embedder_cache(),
    )
