"""POST …/chat/completions through the in-process app with the embedded model."""

from __future__ import annotations

import uuid

import pytest

from tests.server.chat_support import make_project, user


async def test_completion_has_the_reference_shape(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    resp = await client.post(f"{base}/chat/completions", json={"messages": [user("Say hello.")]})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert isinstance(body["created"], int) and body["model"] == "local"
    choice = body["choices"][0]
    assert choice["index"] == 0 and choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].strip()
    assert choice["finish_reason"] in {"stop", "length"}
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert 0 < usage["completion_tokens"] <= 8
    assert body["sources"] == []
    uuid.UUID(resp.headers["X-Session-ID"])  # a new session id when none was sent


async def test_request_fields_override_model_parameters(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    body = {"messages": [user("Write a long story.")], "max_tokens": 3, "temperature": 1.5, "seed": 11}
    await client.post(f"{base}/chat/completions", json=body)  # warm llama.cpp's prompt cache
    first = await (await client.post(f"{base}/chat/completions", json=body)).json()
    second = await (await client.post(f"{base}/chat/completions", json=body)).json()
    assert first["usage"]["completion_tokens"] <= 3
    assert first["choices"][0]["message"]["content"] == second["choices"][0]["message"]["content"]
    assert first["choices"][0]["finish_reason"] == "length"


async def test_model_is_chosen_by_name(client) -> None:  # type: ignore[no-untyped-def]
    models = [
        {
            "name": "a",
            "provider": "llamacpp",
            "model": "gemma3-270m",
            "model_api_parameters": {"max_tokens": 2},
        },
        {
            "name": "b",
            "provider": "llamacpp",
            "model": "gemma3-270m",
            "model_api_parameters": {"max_tokens": 5},
        },
    ]
    base = await make_project(client, runtime={"models": models, "default_model": "b"})
    default = await (await client.post(f"{base}/chat/completions", json={"messages": [user("Hi")]})).json()
    chosen = await (
        await client.post(f"{base}/chat/completions", json={"model": "a", "messages": [user("Hi")]})
    ).json()
    assert default["model"] == "b" and chosen["model"] == "a"
    assert chosen["usage"]["completion_tokens"] <= 2


async def test_stateless_request_has_no_session(client, data_dir) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    resp = await client.post(
        f"{base}/chat/completions", json={"messages": [user("Hi")]}, headers={"X-No-Session": "true"}
    )
    assert resp.status == 200
    assert "X-Session-ID" not in resp.headers
    assert not (data_dir / "projects" / "acme" / "bot" / "sessions").exists()


async def test_compat_config_with_ollama_fails_with_a_clear_502(client) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from tests.conftest import COMPAT_CONFIGS

    config = yaml.safe_load(next(p for p in COMPAT_CONFIGS if p.name == "fda_rag.yaml").read_text())
    await client.post("/v1/projects/acme", json={"name": "fda"})
    assert (await client.put("/v1/projects/acme/fda", json={"config": config})).status == 200
    headers = {"X-Session-ID": "compat-1"}
    body = {"messages": [user("Hi")], "rag_enabled": False}
    resp = await client.post("/v1/projects/acme/fda/chat/completions", json=body, headers=headers)
    assert resp.status == 502
    detail = (await resp.json())["detail"]
    assert "ollama" in detail and "localhost:11434" in detail and "llama3.1:8b" in detail
    stream = await client.post(
        "/v1/projects/acme/fda/chat/completions", json={**body, "stream": True}, headers=headers
    )
    assert stream.status == 502 and "localhost:11434" in (await stream.json())["detail"]
    history = await client.get("/v1/projects/acme/fda/chat/sessions/compat-1/history")
    assert history.status == 404  # a failed turn stores nothing


BAD_BODIES = [
    ({"messages": []}, 422, "messages"),
    ({}, 422, "messages"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, 422, "role"),
    ({"messages": [{"role": "tool", "content": "hi"}]}, 422, "tool_call_id"),
    ({"messages": [{"role": "user", "content": None}]}, 422, "content"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}, 400, "image_url"),
    ({"messages": [user("hi")], "logprobs": True}, 400, "logprobs"),
    ({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}]}, 400, "tools"),
    ({"messages": [user("hi")], "response_format": {"type": "json_object"}}, 400, "response_format"),
    ({"messages": [user("hi")], "tool_choice": "required"}, 400, "tool_choice"),
    ({"messages": [{"role": "user"}]}, 422, "content"),
    ({"messages": [user("hi")], "n": 2}, 400, "n"),
    ({"messages": [user("hi")], "temperature": 2.5}, 422, "temperature"),
    ({"messages": [user("hi")], "top_p": 1.5}, 422, "top_p"),
    ({"messages": [user("hi")], "max_tokens": 0}, 422, "max_tokens"),
    ({"messages": [user("hi")], "rag_top_k": 0}, 422, "rag_top_k"),
    ({"messages": [user("hi")], "model": "gpt-9"}, 400, "configured models: local"),
    ({"messages": [user("hi")], "rag_enabled": True}, 400, "rag.databases"),
    ({"messages": [user("hi"), {"role": "assistant", "content": "x"}]}, 400, "from the user"),
    ({"messages": "hello"}, 422, "messages"),
]


@pytest.mark.parametrize(("body", "status", "needle"), BAD_BODIES)
async def test_bad_bodies_are_4xx_json(client, body, status, needle) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    resp = await client.post(f"{base}/chat/completions", json=body, headers={"X-Session-ID": "bad-input"})
    assert resp.status == status, await resp.text()
    assert needle in (await resp.json())["detail"]
    assert (await client.get(f"{base}/chat/sessions/bad-input/history")).status == 404


async def test_malformed_json_and_bad_headers(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    url = f"{base}/chat/completions"
    resp = await client.post(url, data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status == 400 and "malformed JSON" in (await resp.json())["detail"]
    resp = await client.post(url, json={"messages": [user("hi")]}, headers={"X-Session-ID": "x" * 129})
    assert resp.status == 400 and "session id" in (await resp.json())["detail"]
    resp = await client.post("/v1/projects/acme/ghost/chat/completions", json={"messages": [user("hi")]})
    assert resp.status == 404 and "ghost" in (await resp.json())["detail"]


async def test_content_parts_and_developer_role_are_accepted(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Say"}, {"type": "text", "text": "hello."}]},
    ]
    resp = await client.post(
        f"{base}/chat/completions", json={"messages": messages}, headers={"X-Session-ID": "p"}
    )
    assert resp.status == 200
    history = await (await client.get(f"{base}/chat/sessions/p/history")).json()
    assert history["messages"][0] == {"role": "user", "content": "Say\nhello."}
