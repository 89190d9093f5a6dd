"""Secrets and egress (issue 10): an expanded ${VAR} never reaches a response, error or log,
and components connect only where the egress policy allows, before any connection."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from llamafarm_core import egress, secrets
from llamafarm_core.errors import BadRequest, ComponentUnavailable
from llamafarm_server.app import create_app

SECRET = "sk-live-9f8e7d6c5b4a-do-not-leak"
PROJECT = "/v1/projects/sec/p"


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    yield
    secrets.forget_all()
    egress.configure(())


def rag_config(embedder: dict[str, Any], store: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "version": "v1",
        "runtime": {"models": [{"name": "m", "provider": "openai", "model": "x"}]},
        "rag": {
            "databases": [
                {
                    "name": "db",
                    "type": "ChromaStore",
                    "config": store or {},
                    "embedding_strategies": [{"name": "e", **embedder}],
                }
            ]
        },
    }


async def put_project(client, config: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    assert (await client.post("/v1/projects/sec", json={"name": "p"})).status == 201
    resp = await client.put(PROJECT, json={"config": config})
    assert resp.status == 200, await resp.text()


async def test_embedder_model_name_from_env_does_not_leak(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The finding: model_name ${SOME_VAR} made rag/health return the variable's value."""
    monkeypatch.setenv("LF_TEST_SOME_VAR", SECRET)
    embedder = {"type": "SentenceTransformerEmbedder", "config": {"model_name": "${LF_TEST_SOME_VAR}"}}
    await put_project(client, rag_config(embedder))
    health = await client.get(f"{PROJECT}/rag/health")
    text = await health.text()
    assert SECRET not in text
    (db,) = (await health.json())["databases"]
    assert db["embedder_loads"] is False and "${LF_TEST_SOME_VAR}" in " ".join(db["issues"])
    shown = await (await client.get(PROJECT)).text()
    assert SECRET not in shown and "${LF_TEST_SOME_VAR}" in shown
    query = await client.post(f"{PROJECT}/rag/query", json={"query": "x", "retrieval_strategy": "basic"})
    assert SECRET not in await query.text()


def test_errors_and_logs_name_the_placeholder(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from llamafarm_core.config.envsubst import expand_str

    monkeypatch.setenv("LF_TEST_KEY", SECRET)
    assert expand_str("Bearer ${LF_TEST_KEY}") == f"Bearer {SECRET}"
    err = ComponentUnavailable(f"cannot load {SECRET!r}")
    assert SECRET not in err.message and "${LF_TEST_KEY}" in err.message and SECRET not in str(err)
    handler = logging.StreamHandler()
    logger = logging.getLogger("lf.test.redaction")
    logger.addHandler(handler)
    secrets.install_log_redaction(logger)
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "key is %s", (SECRET,), None)
    handler.filter(record)
    assert record.getMessage() == "key is ${LF_TEST_KEY}"
    logger.removeHandler(handler)
    # short and numeric values are not treated as secrets (they would mangle every response)
    monkeypatch.setenv("LF_TEST_PORT", "8000")
    expand_str("${LF_TEST_PORT}")
    assert secrets.redact("port 8000") == "port 8000"


@pytest.fixture
async def listener(aiohttp_server):  # type: ignore[no-untyped-def]
    """A loopback HTTP listener that records what it is sent (stands in for an attacker's)."""
    seen: list[dict[str, str]] = []

    async def anything(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response({"error": {"message": "nope"}}, status=500)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    server = await aiohttp_server(app)
    server.seen = seen  # type: ignore[attr-defined]
    return server


async def test_server_api_key_is_not_forwarded_to_a_config_url(client, monkeypatch, listener) -> None:  # type: ignore[no-untyped-def]
    """The finding: an openai embedder with base_url at a local listener made rag/health send
    'authorization: Bearer $OPENAI_API_KEY' there."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    url = f"http://127.0.0.1:{listener.port}/v1"
    embedder = {"type": "OpenAIEmbedder", "config": {"base_url": url, "max_retries": 0}}
    await put_project(client, rag_config(embedder))
    health = await client.get(f"{PROJECT}/rag/health")
    assert health.status == 200
    assert listener.seen, "the loopback listener is allowed and must have been contacted"
    assert all(SECRET not in " ".join(h.values()) for h in listener.seen)


async def test_egress_outside_policy_is_refused_before_connecting(client, listener) -> None:  # type: ignore[no-untyped-def]
    # 192.0.2.0/24 is TEST-NET-1: nothing answers there, so a connection attempt would hang
    embedder = {"type": "OpenAIEmbedder", "config": {"base_url": "http://192.0.2.7:8099/v1"}}
    await put_project(client, rag_config(embedder))
    health = await (await client.get(f"{PROJECT}/rag/health")).json()
    (db,) = health["databases"]
    assert any("LF_ALLOWED_EGRESS" in issue and "192.0.2.7" in issue for issue in db["issues"])


async def test_store_and_provider_urls_are_checked(client) -> None:  # type: ignore[no-untyped-def]
    embedder = {"type": "SentenceTransformerEmbedder", "config": {}}
    config = rag_config(embedder, {"host": "chroma.evil.example", "port": 8000})
    config["runtime"]["models"][0]["base_url"] = "http://llm.evil.example/v1"
    await put_project(client, config)
    query = await client.post(f"{PROJECT}/rag/query", json={"query": "x"})
    assert query.status == 400 and "chroma.evil.example" in (await query.json())["detail"]
    chat = await client.post(
        f"{PROJECT}/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}
    )
    detail = (await chat.json())["detail"]
    assert chat.status == 400 and "llm.evil.example" in detail and "LF_ALLOWED_EGRESS" in detail


async def test_allowed_egress_setting(aiohttp_client, settings, registry, listener) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(
        create_app(dataclasses.replace(settings, allowed_egress=("192.0.2.0/24",)), registry)
    )
    embedder = {
        "type": "OpenAIEmbedder",
        "config": {"base_url": "http://192.0.2.7:8099/v1", "connect_timeout": 0.2},
    }
    await put_project(client, rag_config(embedder))
    health = await (await client.get(f"{PROJECT}/rag/health")).json()
    assert not any("LF_ALLOWED_EGRESS" in issue for issue in health["databases"][0]["issues"])


@pytest.mark.parametrize(
    ("allowed", "target", "ok"),
    [
        ((), "http://localhost:11434", True),
        ((), "http://127.0.0.5/v1", True),
        ((), "http://[::1]:8000", True),
        ((), "https://api.openai.com/v1", False),
        ((), "localhost.evil.example:80", False),
        (("api.openai.com",), "https://api.openai.com/v1", True),
        ((".example.com",), "https://a.b.example.com", True),
        ((".example.com",), "https://example.com.evil.io", False),
        (("10.0.0.0/8",), "10.1.2.3:6333", True),
        (("*",), "https://anything.example", True),
    ],
)
def test_policy(allowed: tuple[str, ...], target: str, ok: bool) -> None:
    egress.configure(allowed)
    if ok:
        egress.check(target, "x.base_url")
    else:
        with pytest.raises(BadRequest, match="LF_ALLOWED_EGRESS"):
            egress.check(target, "x.base_url")


def test_env_key_goes_only_to_its_home_or_listed_hosts() -> None:
    egress.configure(())
    assert egress.may_send_env_key("https://api.openai.com/v1", "https://api.openai.com/v1")
    assert not egress.may_send_env_key("http://127.0.0.1:8099/v1", "https://api.openai.com/v1")
    egress.configure(("127.0.0.1",))
    assert egress.may_send_env_key("http://127.0.0.1:8099/v1", "https://api.openai.com/v1")
