"""What the RAG databases of a project hold, and whether they work: health, the list of
databases, the documents stored in one, and totals. Used by the ``…/rag/*`` GET routes.

Health per database:

- ``unhealthy``: the store can't be opened or counted;
- ``degraded``: the store works but something else doesn't: the embedder doesn't load (only
  BM25 search works then), or the lexical index and the store disagree on the chunk count;
- ``healthy`` otherwise. The overall status is the worst database's; a database that is
  merely empty is healthy.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from llamafarm_core.config.models import Database
from llamafarm_core.databases import EmbedderCache, find_database, open_database, require_rag
from llamafarm_core.datasets.blobs import BlobStore
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.datasets.store import database_of
from llamafarm_core.errors import LlamaFarmError
from llamafarm_core.health import HealthStatus
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.secrets import redact
from llamafarm_core.settings import Settings

# These models are also the HTTP responses of the ``…/rag/*`` routes (one model per concept):
# their fields, in this order, are the wire format of docs/retrieval.md.


class StrategySummary(BaseModel):
    name: str
    type: str
    default: bool


class DatabaseSummary(BaseModel):
    """A configured database and what it holds."""

    name: str
    type: str
    is_default: bool
    embedding_strategy: str | None
    embedder: str | None
    embedder_model: str | None
    retrieval_strategies: list[StrategySummary]
    default_retrieval_strategy: str | None
    datasets: list[str]
    document_count: int = 0
    chunk_count: int = 0
    lexical_chunk_count: int = 0
    size_bytes: int = 0


class DatabaseHealth(BaseModel):
    name: str
    status: HealthStatus
    document_count: int = 0
    chunk_count: int = 0
    lexical_chunk_count: int = 0
    size_bytes: int = 0
    embedder: str | None = None
    embedder_model: str | None = None
    embedder_loads: bool | None = None
    issues: list[str] = Field(default_factory=list)


class RagHealth(BaseModel):
    status: HealthStatus
    databases: list[DatabaseHealth]


class StoredDocument(BaseModel):
    """A file whose chunks are in a database."""

    document_id: str
    file_hash: str
    filename: str
    chunk_count: int
    lexical_chunk_count: int
    size: int | None
    mime_type: str | None
    datasets: list[str]


def _configured_model(db: Database) -> str | None:
    strategy = db.embedding_strategy()
    if strategy is None:
        return None
    value = strategy.config.get("model_name") or strategy.config.get("model")
    return str(value) if value else None


def summarize(
    settings: Settings, registry: Registry, project: Project, db: Database, *, counts: bool = True
) -> DatabaseSummary:
    rag = require_rag(project)
    default = rag.database(None)
    ref = db.retrieval_strategy(None)
    emb = db.embedding_strategy()
    summary = DatabaseSummary(
        name=db.name,
        type=db.type,
        is_default=default is not None and default.name == db.name,
        embedding_strategy=emb.name if emb else None,
        embedder=emb.type if emb else None,
        embedder_model=_configured_model(db),
        retrieval_strategies=[
            StrategySummary(name=r.name, type=r.type, default=ref is not None and r.name == ref.name)
            for r in db.retrieval_strategies
        ],
        default_retrieval_strategy=ref.name if ref else None,
        datasets=[d.name for d in project.config.datasets if database_of(rag, d) == db.name],
    )
    if counts:
        info = open_database(registry, project, db.name).info()
        summary.chunk_count, summary.document_count = info.chunk_count, info.document_count
        summary.lexical_chunk_count, summary.size_bytes = info.lexical_count, info.size_bytes
        if info.model is not None:
            summary.embedder_model = info.model.model_id
    return summary


def databases(settings: Settings, registry: Registry, project: Project) -> list[DatabaseSummary]:
    """Every configured database with its strategies, datasets and counts."""
    return [summarize(settings, registry, project, db) for db in require_rag(project).databases]


class RagStats(BaseModel):
    database_count: int
    document_count: int
    chunk_count: int
    size_bytes: int
    databases: list[DatabaseSummary]


def stats(settings: Settings, registry: Registry, project: Project) -> RagStats:
    """Totals over every database (a file in two databases counts in each)."""
    items = databases(settings, registry, project)
    return RagStats(
        database_count=len(items),
        document_count=sum(d.document_count for d in items),
        chunk_count=sum(d.chunk_count for d in items),
        size_bytes=sum(d.size_bytes for d in items),
        databases=items,
    )


def check_database(
    settings: Settings,
    registry: Registry,
    project: Project,
    db: Database,
    embedders: EmbedderCache | None = None,
) -> DatabaseHealth:
    """The health of one database (see the module doc)."""
    handle = open_database(registry, project, db.name, embedders=embedders)
    out = DatabaseHealth(name=db.name, status=HealthStatus.HEALTHY, embedder=handle.embedder_type)
    try:
        info = handle.info()
    except Exception as err:  # a broken store must show up here, not as a 500
        out.status = HealthStatus.UNHEALTHY
        out.issues.append(f"vector store: {_reason(err)}")
        return out
    out.chunk_count, out.document_count = info.chunk_count, info.document_count
    out.lexical_chunk_count, out.size_bytes = info.lexical_count, info.size_bytes
    out.embedder_model = info.model.model_id if info.model else _configured_model(db)
    try:
        handle.embedder().check()
        out.embedder_loads = True
    except Exception as err:
        out.embedder_loads = False
        out.status = HealthStatus.DEGRADED
        out.issues.append(f"embedder does not load ({_reason(err)}); only BM25 search works")
    if out.lexical_chunk_count != out.chunk_count:
        out.status = HealthStatus.worst([out.status, HealthStatus.DEGRADED])
        out.issues.append(
            f"lexical index holds {out.lexical_chunk_count} chunks, the vector store {out.chunk_count}; "
            "process the datasets again to resync"
        )
    return out


def health(
    settings: Settings, registry: Registry, project: Project, database: str | None = None
) -> RagHealth:
    """Health of every database, or of ``database`` only (BadRequest when unknown)."""
    rag = require_rag(project)
    targets = [find_database(project, database)] if database else list(rag.databases)
    checks = [check_database(settings, registry, project, db) for db in targets]
    return RagHealth(status=HealthStatus.worst(c.status for c in checks), databases=checks)


def documents(
    settings: Settings, registry: Registry, project: Project, database: str
) -> list[StoredDocument]:
    """The files whose chunks are in ``database``, with chunk counts and original names."""
    db = find_database(project, database)
    handle = open_database(registry, project, db.name)
    with handle.reading() as store:
        counts = store.file_counts()
    lexical = handle.lexical.file_counts() if handle.lexical.path.exists() else {}
    blobs = BlobStore(ProjectLayout(project.path))
    rag = require_rag(project)
    out = []
    for file_hash in sorted(set(counts) | set(lexical)):
        record = blobs.record(file_hash) if _is_hash(file_hash) else None
        holders = [
            d.name for d in project.config.datasets if file_hash in d.files and database_of(rag, d) == db.name
        ]
        out.append(
            StoredDocument(
                document_id=file_hash,
                file_hash=file_hash,
                filename=record.original_filename if record else file_hash,
                chunk_count=counts.get(file_hash, 0),
                lexical_chunk_count=lexical.get(file_hash, 0),
                size=record.size if record else None,
                mime_type=record.mime_type if record else None,
                datasets=holders,
            )
        )
    out.sort(key=lambda d: (d.filename.lower(), d.file_hash))
    return out


def _is_hash(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _reason(err: Exception) -> str:
    return err.message if isinstance(err, LlamaFarmError) else redact(f"{type(err).__name__}: {err}")
