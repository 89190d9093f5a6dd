"""The RAG API through the in-process app over the processed corpus: response shapes, every
request field, and bad input as 4xx {"detail"}."""

from __future__ import annotations

from typing import Any

import pytest

from llamafarm_core.plugins.registry import Registry
from tests.core.retrieval.corpus import EMPTY, MAIN, QDRANT, Corpus, shared_corpus

BASE = "/v1/projects/rt/corpus/rag"


@pytest.fixture(scope="session")
def rag_corpus(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Corpus:
    return shared_corpus(tmp_path_factory, registry)


@pytest.fixture
async def rag_client(aiohttp_client, rag_corpus: Corpus, registry: Registry):  # type: ignore[no-untyped-def]
    from llamafarm_server.app import create_app

    return await aiohttp_client(create_app(rag_corpus.settings, registry))


async def query(client, body: dict[str, Any], status: int = 200) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = await client.post(f"{BASE}/query", json=body)
    data = await resp.json()
    assert resp.status == status, data
    assert resp.content_type == "application/json"
    return data  # type: ignore[no-any-return]


async def test_response_shape_and_defaults(rag_client, rag_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    data = await query(rag_client, {"query": "how do solar panels make electricity"})
    assert set(data) == {
        "query",
        "results",
        "total_results",
        "processing_time_ms",
        "retrieval_strategy_used",
        "database_used",
        "warnings",
    }
    assert data["database_used"] == MAIN and data["retrieval_strategy_used"] == "semantic"
    assert data["total_results"] == len(data["results"]) == 4
    first = data["results"][0]
    assert set(first) == {"content", "score", "metadata", "chunk_id", "document_id"}
    assert first["metadata"]["filename"] == "solar.md"
    assert first["document_id"] == first["metadata"]["file_hash"] == rag_corpus.hashes["solar.md"]
    assert first["chunk_id"].startswith(first["document_id"] + ":")
    assert "Photovoltaic" in first["content"]
    assert 0 < first["score"] <= 1 and data["processing_time_ms"] > 0


async def test_every_field_at_once(rag_client) -> None:  # type: ignore[no-untyped-def]
    body = {
        "query": "gasket replacement schedule",
        "database": QDRANT,
        "top_k": 3,
        "score_threshold": 0.05,
        "retrieval_strategy": "semantic",
        "metadata_filters": {"year": {"$gte": 2019}, "category": ["manuals", "energy", "geology"]},
        "distance_metric": "cosine",
        "hybrid_alpha": 0.5,
        "query_expansion": False,
        "max_tokens": 30,
    }
    data = await query(rag_client, body)
    assert data["database_used"] == QDRANT and data["retrieval_strategy_used"] == "semantic"
    assert data["results"][0]["metadata"]["filename"] == "zq7-manual.md"
    assert 0.5 < data["results"][0]["score"] < 1
    assert all(r["metadata"]["category"] in ("manuals", "energy", "geology") for r in data["results"])
    assert all(r["score"] >= 0.05 for r in data["results"]) and len(data["results"]) <= 3
    assert sum(len(r["content"].split()) for r in data["results"]) <= 30


async def test_registered_type_as_strategy_and_empty_database(rag_client) -> None:  # type: ignore[no-untyped-def]
    data = await query(rag_client, {"query": "ZQ7", "retrieval_strategy": "bm25"})
    assert [r["metadata"]["filename"] for r in data["results"]] == ["zq7-manual.md"]
    empty = await query(rag_client, {"query": "anything", "database": EMPTY})
    assert empty["results"] == [] and empty["total_results"] == 0


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({}, 422, "query"),
        ({"query": ""}, 422, "query"),
        ({"query": "x", "top_k": -1}, 422, "top_k"),
        ({"query": "x", "top_k": 0}, 422, "top_k"),
        ({"query": "x", "top_k": "many"}, 422, "top_k"),
        ({"query": "x", "score_threshold": 1.5}, 422, "score_threshold"),
        ({"query": "x", "hybrid_alpha": 2}, 422, "hybrid_alpha"),
        ({"query": "x", "max_tokens": 0}, 422, "max_tokens"),
        ({"query": "x", "metadata_filters": "year=2020"}, 422, "metadata_filters"),
        ({"query": "x", "metadata_filters": {"year": {"$like": 1}}}, 422, "unknown operator"),
        ({"query": "x", "metadata_filters": {"year": {"$gt": "soon"}}}, 422, "needs a number"),
        ({"query": "x", "metadata_filters": {"tags": [{"a": 1}]}}, 422, "metadata_filters.tags"),
        ({"query": "x", "distance_metric": "hamming"}, 422, "known metrics"),
        ({"query": "x", "database": "nowhere"}, 400, "known databases: main_db, qdrant_db, empty_db"),
        ({"query": "x", "retrieval_strategy": "telepathy"}, 400, "configured strategies: semantic"),
        ({"query": "x", "rerank_model": "/no/such/model"}, 400, "nothing is downloaded"),
    ],
)
async def test_bad_input(rag_client, body: dict[str, Any], status: int, fragment: str) -> None:  # type: ignore[no-untyped-def]
    data = await query(rag_client, body, status)
    assert set(data) == {"detail"} and fragment in data["detail"]


async def test_a_misspelled_field_is_ignored_with_a_warning_that_names_it(rag_client) -> None:  # type: ignore[no-untyped-def]
    resp = await rag_client.post(f"{BASE}/query", json={"query": "ZQ7", "topk": 1})
    data = await resp.json()
    assert resp.status == 200, data
    assert "topk" in resp.headers["Warning"] and any("topk" in w for w in data["warnings"])
    assert len(data["results"]) > 1  # top_k kept its default: the typo changed nothing


async def test_malformed_json_unknown_project_and_no_rag(rag_client) -> None:  # type: ignore[no-untyped-def]
    resp = await rag_client.post(
        f"{BASE}/query", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400 and "malformed JSON" in (await resp.json())["detail"]
    resp = await rag_client.post("/v1/projects/rt/nothing-here/rag/query", json={"query": "x"})
    assert resp.status == 404 and "not found" in (await resp.json())["detail"]
    assert (await rag_client.post("/v1/projects/rt", json={"name": "norag"})).status in (201, 409)
    resp = await rag_client.post("/v1/projects/rt/norag/rag/query", json={"query": "x"})
    assert resp.status == 400 and "no 'rag' section" in (await resp.json())["detail"]
    resp = await rag_client.get("/v1/projects/rt/norag/rag/health")
    assert resp.status == 400


async def test_health(rag_client) -> None:  # type: ignore[no-untyped-def]
    data = await (await rag_client.get(f"{BASE}/health")).json()
    assert data["status"] == "healthy"
    by_name = {d["name"]: d for d in data["databases"]}
    assert set(by_name) == {MAIN, QDRANT, EMPTY}
    main = by_name[MAIN]
    assert main["status"] == "healthy" and main["embedder_loads"] is True
    assert main["document_count"] == 8 and main["chunk_count"] == main["lexical_chunk_count"] == 8
    assert main["size_bytes"] > 0 and main["embedder"] == "SentenceTransformerEmbedder"
    assert by_name[EMPTY]["document_count"] == 0 and by_name[EMPTY]["status"] == "healthy"
    one = await (await rag_client.get(f"{BASE}/health?database={QDRANT}")).json()
    assert [d["name"] for d in one["databases"]] == [QDRANT]
    resp = await rag_client.get(f"{BASE}/health?database=nowhere")
    assert resp.status == 400 and "known databases" in (await resp.json())["detail"]


async def test_a_missing_embedding_model_degrades_health(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.post("/v1/projects/rt", json={"name": "broken"})).status == 201
    config = {
        "version": "v1",
        "runtime": {"models": [{"name": "m", "provider": "openai", "model": "x"}]},
        "rag": {
            "databases": [
                {
                    "name": "db",
                    "type": "ChromaStore",
                    "embedding_strategies": [
                        {
                            "name": "e",
                            "type": "SentenceTransformerEmbedder",
                            "config": {"model_name": "/no/such/model"},
                        }
                    ],
                }
            ]
        },
    }
    assert (await client.put("/v1/projects/rt/broken", json={"config": config})).status == 200
    data = await (await client.get("/v1/projects/rt/broken/rag/health")).json()
    assert data["status"] == "degraded"
    (db,) = data["databases"]
    assert db["status"] == "degraded" and db["embedder_loads"] is False and "only BM25" in db["issues"][0]


async def test_databases_documents_and_stats(rag_client, rag_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    listing = await (await rag_client.get(f"{BASE}/databases")).json()
    assert listing["default_database"] == MAIN and listing["total"] == 3
    main = next(d for d in listing["databases"] if d["name"] == MAIN)
    assert main["default_retrieval_strategy"] == "semantic" and main["datasets"] == ["docs_main_db"]
    assert {s["name"] for s in main["retrieval_strategies"]} >= {"semantic", "keywords", "hybrid_search"}
    assert main["chunk_count"] == 8 and main["embedder_model"]

    docs = await (await rag_client.get(f"{BASE}/databases/{MAIN}/documents")).json()
    assert docs["total"] == 8 and docs["total_chunks"] == 8
    solar = next(d for d in docs["documents"] if d["filename"] == "solar.md")
    assert solar["document_id"] == rag_corpus.hashes["solar.md"] and solar["chunk_count"] == 1
    assert solar["lexical_chunk_count"] == 1 and solar["datasets"] == ["docs_main_db"] and solar["size"] > 0
    resp = await rag_client.get(f"{BASE}/databases/nowhere/documents")
    assert resp.status == 400

    stats = await (await rag_client.get(f"{BASE}/stats")).json()
    assert stats["database_count"] == 3 and stats["document_count"] == 16 and stats["chunk_count"] == 16
    assert stats["size_bytes"] == sum(d["size_bytes"] for d in stats["databases"])


async def test_a_repeated_query_runs_on_the_loop_until_its_inputs_change(  # type: ignore[no-untyped-def]
    rag_client, rag_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone, known-short query skips the thread hops (llamafarm_server/on_loop.py); a store
    written by another process since, or a long query text, takes a thread."""
    import threading

    from llamafarm_core.databases.handle import GENERATION_FILE, STORES_DIR
    from llamafarm_server.on_loop import SHORT_WORK
    from llamafarm_server.routes import rag

    ran_in: list[str] = []
    real = rag.service.query

    def recording(*args: Any, **kwargs: Any) -> Any:
        ran_in.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(rag.service, "query", recording)
    # what counts as short is not under test here (the first run loads the model: slow)
    monkeypatch.setattr(rag_client.app[SHORT_WORK], "budget_s", 600.0)
    loop = threading.current_thread().name
    body = {"query": "solar panels on the loop", "top_k": 3}
    first = await query(rag_client, body)
    again = await query(rag_client, body)
    assert again["results"] == first["results"]
    assert ran_in[0] != loop and ran_in[1] == loop
    token = rag_corpus.project.path / STORES_DIR / MAIN / GENERATION_FILE
    replacement = token.with_name("generation.new")
    replacement.write_text("written-by-another-process")
    replacement.replace(token)  # as a writer does: the store must reopen, maybe slowly
    await query(rag_client, body)
    await query(rag_client, body)
    assert ran_in[2:] == [ran_in[2], loop] and ran_in[2] != loop
    long_body = {**body, "query": "solar " * (rag.SHORT_QUERY_CHARS // 6 + 1)}
    await query(rag_client, long_body)
    await query(rag_client, long_body)
    assert loop not in ran_in[4:]


async def test_a_query_never_waits_for_a_writers_lock_on_the_loop(  # type: ignore[no-untyped-def]
    rag_client, rag_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker holding the store's lock (a write in progress) must not freeze the server:
    a query that would run on the loop goes to a thread and waits there."""
    import asyncio
    import threading

    from llamafarm_core.databases.handle import LOCK_FILE, STORES_DIR
    from llamafarm_core.file_locks import file_lock
    from llamafarm_server.on_loop import SHORT_WORK

    monkeypatch.setattr(rag_client.app[SHORT_WORK], "budget_s", 600.0)
    body = {"query": "wind turbines and the loop", "top_k": 3}
    expected = await query(rag_client, body)
    await query(rag_client, body)  # now known short: the next would run on the loop
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with file_lock(rag_corpus.project.path / STORES_DIR / MAIN / LOCK_FILE, exclusive=True):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(10)
        pending = asyncio.ensure_future(query(rag_client, body))
        await asyncio.sleep(0.3)
        assert not pending.done()  # waiting for the writer...
        health = await asyncio.wait_for(rag_client.get("/health/liveness"), 5)
        assert health.status == 200  # ... in a thread: the loop still serves
    finally:
        release.set()
        thread.join(10)
    assert (await asyncio.wait_for(pending, 30))["results"] == expected["results"]
