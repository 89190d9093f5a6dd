"""RAG: query a database, its health, the databases and the documents they hold."""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path

from aiohttp import web

from llamafarm_core.databases.handle import GENERATION_FILE, STORES_DIR
from llamafarm_core.projects import CONFIG_FILE, Project
from llamafarm_core.retrieval import inventory, service
from llamafarm_core.retrieval.filters import parse_filters
from llamafarm_core.retrieval.request import RetrievalRequest, RetrievalResult
from llamafarm_core.retrieval.scoring import canonical_metric
from llamafarm_core.vectors import SearchHit
from llamafarm_server.api import Router, run_blocking
from llamafarm_server.context import PROJECTS, REGISTRY, SETTINGS, project_ref
from llamafarm_server.on_loop import SHORT_WORK, file_ids
from llamafarm_server.schemas.rag import (
    HealthQuery,
    RagDatabaseList,
    RagDocumentList,
    RagQueryBody,
    RagQueryResponse,
    RagResult,
)

router = Router("RAG")
SHORT_QUERY_CHARS = 1000  # about the embedder's window (256 word pieces)
BASE = "/v1/projects/{namespace}/{project}/rag"


async def _project(request: web.Request) -> Project:
    """The project without dataset members (their number must not cost a query anything)."""
    return await run_blocking(request.app[PROJECTS].get_bare, project_ref(request))


def _to_request(body: RagQueryBody) -> RetrievalRequest:
    return RetrievalRequest(
        query=body.query,
        top_k=body.top_k,
        score_threshold=body.score_threshold,
        filters=tuple(parse_filters(body.metadata_filters, "body.metadata_filters")),
        distance_metric=canonical_metric(body.distance_metric),
        hybrid_alpha=body.hybrid_alpha,
        rerank_model=body.rerank_model,
        query_expansion=bool(body.query_expansion),
        max_tokens=body.max_tokens,
    )


def _result(hit: SearchHit) -> RagResult:
    document_id = hit.metadata.get("document_id") or hit.metadata.get("file_hash") or hit.id.split(":")[0]
    return RagResult(
        content=hit.text,
        score=round(hit.score, 6),
        metadata=hit.metadata,
        chunk_id=hit.id,
        document_id=str(document_id),
    )


def _response(result: RetrievalResult) -> RagQueryResponse:
    return RagQueryResponse(
        query=result.query,
        results=[_result(h) for h in result.hits],
        total_results=len(result.hits),
        processing_time_ms=result.processing_time_ms,
        retrieval_strategy_used=result.strategy,
        database_used=result.database,
        warnings=result.warnings,
    )


@router.post(
    BASE + "/query", body=RagQueryBody, response=RagQueryResponse, responses={400: "unknown database"}
)
async def rag_query(request: web.Request, body: RagQueryBody) -> RagQueryResponse:
    """Search a database of the project with a retrieval strategy."""
    retrieval = _to_request(body)
    app = request.app
    ref = project_ref(request)

    def query() -> RetrievalResult:  # one trip to a thread: the project, then the query
        project = app[PROJECTS].get_bare(ref)
        return service.query(
            app[SETTINGS], app[REGISTRY], project, retrieval, body.database, body.retrieval_strategy
        )

    # On the loop itself when idle and known short (on_loop.py): same options, same history.
    # A long query text is work of another size (tokenizing it, its lexical terms): a thread.
    project_dir = app[PROJECTS].project_dir(ref)
    key = (str(project_dir), body.model_dump_json(exclude={"query"}))
    short = len(body.query) <= SHORT_QUERY_CHARS
    result = await app[SHORT_WORK].run(
        request, key, lambda: query_inputs(project_dir) if short else None, query
    )
    return _response(result)


def query_inputs(project_dir: Path) -> Hashable | None:
    """What another process may change under a query and so make it slow (a reload): the
    config and every database's generation token (a write since means the store reopens)."""
    stores = project_dir / STORES_DIR
    try:
        names = sorted(entry.name for entry in os.scandir(stores) if entry.is_dir())
    except FileNotFoundError:
        names = []  # nothing written yet
    except OSError:
        return None
    return file_ids(project_dir / CONFIG_FILE, *(stores / name / GENERATION_FILE for name in names))


@router.get(BASE + "/health", query=HealthQuery, response=inventory.RagHealth)
async def rag_health(request: web.Request, query: HealthQuery) -> inventory.RagHealth:
    """Health of every database (or ``?database=``): counts, size, whether the embedder loads."""
    project = await _project(request)
    app = request.app
    return await run_blocking(inventory.health, app[SETTINGS], app[REGISTRY], project, query.database)


@router.get(BASE + "/databases", response=RagDatabaseList)
async def rag_databases(request: web.Request) -> RagDatabaseList:
    """The project's databases with their strategies, datasets and counts."""
    project = await _project(request)
    app = request.app
    items = await run_blocking(inventory.databases, app[SETTINGS], app[REGISTRY], project)
    default = next((d.name for d in items if d.is_default), None)
    return RagDatabaseList(databases=items, default_database=default, total=len(items))


@router.get(BASE + "/databases/{database}/documents", response=RagDocumentList)
async def rag_documents(request: web.Request) -> RagDocumentList:
    """The files stored in a database, with their chunk counts and original names."""
    project = await run_blocking(request.app[PROJECTS].get, project_ref(request))  # with members
    app = request.app
    name = request.match_info["database"]
    docs = await run_blocking(inventory.documents, app[SETTINGS], app[REGISTRY], project, name)
    return RagDocumentList(
        database=name,
        documents=docs,
        total=len(docs),
        total_chunks=sum(d.chunk_count for d in docs),
    )


@router.get(BASE + "/stats", response=inventory.RagStats)
async def rag_stats(request: web.Request) -> inventory.RagStats:
    """Totals over the project's databases."""
    project = await _project(request)
    app = request.app
    return await run_blocking(inventory.stats, app[SETTINGS], app[REGISTRY], project)
