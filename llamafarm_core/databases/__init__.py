"""The database access layer: one place that turns a ``rag.databases[]`` entry into a vector
store, an embedder and a lexical index, safely shared by the server and worker processes.

API (everything else in this package is an implementation detail)::

    from llamafarm_core.databases import open_database

    handle = open_database(settings, registry, project, "main_db")  # None: default database
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

- ``open_database`` is cheap (nothing opened). Unknown database → NotFound naming the known
  ones; a project without ``rag`` → BadRequest.
- Stores whose ``is_local`` is True (embedded Chroma, local Qdrant) are built, used and
  ``close()``d inside every ``reading()``/``writing()`` block, under an fcntl lock file in
  ``stores/{db}/`` (shared for reads, exclusive for writes): embedded clients cache state and
  hold directory locks, and a worker process may be writing the same files. Remote stores
  (``is_local`` False) are kept open per process; the lock is still taken, since the lexical
  index and the model record are local files.
- Embedders are built once per process per (class, config) (:mod:`.embedders`) — loading a
  model is expensive. ``handle.embedder()`` gives the instance.
- ``stores/{db}/collection.json`` records the embedder's ``model_id`` and vector dimension
  on the first write (:meth:`DatabaseHandle.ensure_model`). A later write or query with a
  different model or dimension raises :class:`EmbedderMismatch` (a 400) saying to reindex.
"""

from __future__ import annotations

from llamafarm_core.config.models import Rag
from llamafarm_core.databases.embedders import EmbedderCache, default_embedder_cache
from llamafarm_core.databases.handle import DatabaseHandle, DatabaseInfo
from llamafarm_core.databases.model_record import EmbedderMismatch, ModelRecord
from llamafarm_core.errors import BadRequest, NotFound
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings

__all__ = [
    "DatabaseHandle",
    "DatabaseInfo",
    "EmbedderCache",
    "EmbedderMismatch",
    "ModelRecord",
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


def open_database(
    settings: Settings,
    registry: Registry,
    project: Project,
    name: str | None = None,
    *,
    embedders: EmbedderCache | None = None,
) -> DatabaseHandle:
    """A handle on database ``name`` (or the default one) of ``project``."""
    del settings  # paths come from the project; kept for a stable call shape
    rag = require_rag(project)
    database = rag.database(name)
    if database is None:
        known = ", ".join(d.name for d in rag.databases) or "(none)"
        wanted = name or "(default)"
        raise NotFound(
            f"database {wanted!r} not found in project {project.namespace}/{project.name}; known: {known}"
        )
    return DatabaseHandle(
        registry,
        project.path,
        database,
        rag.databases.index(database),
        embedders or default_embedder_cache(),
    )
