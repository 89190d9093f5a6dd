"""RAG in chat over a processed dataset (real parser, MiniLM embedder, embedded Chroma,
retrieval service, embedded Gemma): answers carry sources, history never holds context."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from openai import AsyncOpenAI

from llamafarm_core.chat.rag import CONTEXT_HEADER
from tests.core.chat.chat_projects import chat_config
from tests.server.chat_support import NS, parse_sse, user

pytestmark = pytest.mark.slow

FACTS = """The Zorblax reactor was invented by Doctor Ilse Quintana in Lisbon in 1987.
It runs on compressed seaweed and powers the harbour lights.

Llamas are domesticated camelids from South America. They live in herds and eat grass.

The annual kite festival of Port Amble is held every April on the northern dunes."""

QUESTION = "Who invented the Zorblax reactor?"


def rag_config() -> dict[str, Any]:
    embedder = {
        "name": "minilm",
        "type": "SentenceTransformerEmbedder",
        "config": {"model_name": "all-MiniLM-L6-v2"},
    }
    text = {
        "type": "TextParser_Python",
        "file_include_patterns": ["*.txt"],
        "config": {"chunk_size": 200, "chunk_overlap": 0},
    }
    return chat_config(
        rag={
            "databases": [
                {
                    "name": "main_db",
                    "type": "ChromaStore",
                    "embedding_strategies": [embedder],
                    "retrieval_strategies": [
                        {"name": "basic", "type": "BasicSimilarityStrategy", "config": {"top_k": 3}}
                    ],
                },
                {"name": "empty_db", "type": "ChromaStore", "embedding_strategies": [embedder]},
            ],
            "data_processing_strategies": [{"name": "text", "parsers": [text]}],
        }
    )


@pytest.fixture
async def rag_base(client) -> str:  # type: ignore[no-untyped-def]
    """acme/kb with facts.txt processed into main_db."""
    assert (await client.post(f"/v1/projects/{NS}", json={"name": "kb"})).status == 201
    put = await client.put(f"/v1/projects/{NS}/kb", json={"config": rag_config()})
    assert put.status == 200, await put.text()
    base = f"/v1/projects/{NS}/kb"
    made = await client.post(
        f"{base}/datasets", json={"name": "facts", "data_processing_strategy": "text", "database": "main_db"}
    )
    assert made.status == 201, await made.text()
    form = aiohttp.FormData()
    form.add_field("file", FACTS.encode(), filename="facts.txt", content_type="text/plain")
    assert (await client.post(f"{base}/datasets/facts/data", data=form)).status in (200, 201)
    processed = await client.post(f"{base}/datasets/facts/process")
    assert processed.status == 200, await processed.text()
    return base


async def _ask(client, base: str, session: str | None = None, **extra: Any) -> dict:  # type: ignore[no-untyped-def]
    headers = {"X-Session-ID": session} if session else {"X-No-Session": "1"}
    resp = await client.post(
        f"{base}/chat/completions", json={"messages": [user(QUESTION)], **extra}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]


async def test_answer_carries_sources_and_history_has_no_context(client, rag_base, data_dir) -> None:  # type: ignore[no-untyped-def]
    body = await _ask(client, rag_base, session="kb-1")
    assert body["choices"][0]["message"]["content"].strip()
    sources = body["sources"]
    assert 1 <= len(sources) <= 3
    best = sources[0]
    assert "Zorblax" in best["content"] and best["filename"] == "facts.txt"
    assert 0 < best["score"] <= 1 and best["chunk_id"]
    assert [s["score"] for s in sources] == sorted((s["score"] for s in sources), reverse=True)
    history = (await (await client.get(f"{rag_base}/chat/sessions/kb-1/history")).json())["messages"]
    assert history == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": body["choices"][0]["message"]["content"]},
    ]
    stored = (data_dir / "projects" / NS / "kb" / "sessions" / "kb-1" / "history.json").read_text()
    assert CONTEXT_HEADER not in stored and "seaweed" not in stored.replace(
        body["choices"][0]["message"]["content"], ""
    )


async def test_context_is_in_the_prompt_of_that_turn_only(client, rag_base) -> None:  # type: ignore[no-untyped-def]
    with_rag = await _ask(client, rag_base)
    without = await _ask(client, rag_base, rag_enabled=False)
    assert without["sources"] == []
    assert with_rag["usage"]["prompt_tokens"] > without["usage"]["prompt_tokens"] + 20


async def test_rag_fields_choose_how(client, rag_base) -> None:  # type: ignore[no-untyped-def]
    one = await _ask(client, rag_base, rag_top_k=1)
    assert len(one["sources"]) == 1 and "Zorblax" in one["sources"][0]["content"]
    strict = await _ask(client, rag_base, rag_score_threshold=0.99)
    assert strict["sources"] == []
    empty = await _ask(client, rag_base, database="empty_db")
    assert empty["sources"] == []
    resp = await client.post(
        f"{rag_base}/chat/completions",
        json={"messages": [user(QUESTION)], "database": "nope"},
        headers={"X-Session-ID": "x"},
    )
    assert resp.status == 400 and "main_db" in (await resp.json())["detail"]
    assert (await client.get(f"{rag_base}/chat/sessions/x/history")).status == 404


async def test_streaming_puts_sources_on_the_final_chunk(client, rag_base) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(
        f"{rag_base}/chat/completions", json={"messages": [user(QUESTION)], "stream": True}
    )
    events = parse_sse(await resp.text())
    assert events[-1] == "[DONE]"
    final = events[-2]
    assert final["choices"][0]["finish_reason"] in {"stop", "length"}
    assert final["sources"] and "Zorblax" in final["sources"][0]["content"]
    assert all("sources" not in e for e in events[:-2])


async def test_the_openai_sdk_parses_answers_with_sources(client, rag_base) -> None:  # type: ignore[no-untyped-def]
    sdk = AsyncOpenAI(base_url=str(client.make_url(rag_base)), api_key="x", max_retries=0)
    resp = await sdk.chat.completions.create(model="local", messages=[{"role": "user", "content": QUESTION}])
    assert resp.choices[0].message.content
    assert resp.model_extra is not None and "Zorblax" in resp.model_extra["sources"][0]["content"]
    stream = await sdk.chat.completions.create(
        model="local", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = [c async for c in stream]
    assert chunks[-1].model_extra is not None and chunks[-1].model_extra["sources"]
    await sdk.close()


async def test_a_resumed_session_shows_the_sources_of_each_answer(client, rag_base) -> None:  # type: ignore[no-untyped-def]
    first = await _ask(client, rag_base, session="kb-2")
    second = await _ask(client, rag_base, session="kb-2", rag_enabled=False)
    assert first["sources"] and second["sources"] == []
    url = f"{rag_base}/chat/sessions/kb-2/history"
    plain = (await (await client.get(url)).json())["messages"]
    assert all(set(m) == {"role", "content"} for m in plain)  # the spec's shape by default
    shown = (await (await client.get(url, params={"include_sources": "true"})).json())["messages"]
    assert [m["role"] for m in shown] == ["user", "assistant"] * 2
    assert "sources" not in shown[0] and "sources" not in shown[2]
    assert shown[1]["sources"] == first["sources"]
    assert shown[3]["sources"] == []
    bad = await client.get(url, params={"include_sources": "maybe"})
    assert bad.status == 400 and "include_sources" in (await bad.json())["detail"]
