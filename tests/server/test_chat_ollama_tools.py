"""The ollama provider's tool round trip through our chat endpoint: the Ollama stand-in
(tests/fakes/ollama.py, Ollama's /api/chat wire protocol with ``message.tool_calls``) plays a
tool-capable model; the example calculator runs as a stdio MCP server; the client's own tools
come back to it as OpenAI ``tool_calls`` and the round trip ends in an answer."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.ollama import GEMMA_CHAT, TOOL_CHAT, FakeOllamaServer, chat_state
from tests.server.chat_support import NS, parse_sse, user
from tests.server.tool_support import CALCULATOR

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city (run by the client).",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(scope="module")
def ollama() -> Iterator[FakeOllamaServer]:
    state = chat_state()
    state.installed[TOOL_CHAT.name] = TOOL_CHAT
    with FakeOllamaServer(state) as server:
        yield server


def _config(url: str) -> dict[str, Any]:
    ollama = {"provider": "ollama", "base_url": url}
    return {
        "version": "v1",
        "runtime": {
            "models": [
                {"name": "qwen", **ollama, "model": TOOL_CHAT.name, "default": True, "mcp_servers": ["calc"]},
                {"name": "gemma", **ollama, "model": GEMMA_CHAT.name},
            ]
        },
        "mcp": {
            "servers": [
                {"name": "calc", "transport": "stdio", "command": sys.executable, "args": [str(CALCULATOR)]}
            ]
        },
    }


@pytest.fixture
async def base(client, ollama: FakeOllamaServer) -> str:  # type: ignore[no-untyped-def]
    assert (await client.post(f"/v1/projects/{NS}", json={"name": "olla"})).status == 201
    put = await client.put(f"/v1/projects/{NS}/olla", json={"config": _config(ollama.url)})
    assert put.status == 200, await put.text()
    return f"/v1/projects/{NS}/olla"


async def _post(client, base: str, **body: Any):  # type: ignore[no-untyped-def]
    return await client.post(f"{base}/chat/completions", json=body, headers={"X-No-Session": "1"})


async def test_mcp_tools_run_by_the_server_over_ollama(client, base, ollama) -> None:  # type: ignore[no-untyped-def]
    script = '[[add {"a": 2, "b": 3}]] then [[multiply {"a": "$1", "b": 4}]]'
    resp = await _post(client, base, messages=[user(script)])
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["choices"][0]["message"]["content"] == "The answer is 20."
    made = body["tool_calls_made"]
    assert [(m["function"]["name"], m["output"]) for m in made] == [("add", "5"), ("multiply", "20")]
    # Ollama got the tools in its format and the results back as role=tool messages by name.
    chats = [b for path, b in ollama.state.requests if path == "/api/chat"]
    first, last = chats[-3], chats[-1]
    assert {"add", "multiply"} <= {t["function"]["name"] for t in first["tools"]}
    asked = [m for m in last["messages"] if m.get("tool_calls")]
    assert asked[0]["tool_calls"][0]["function"] == {"name": "add", "arguments": {"a": 2, "b": 3}}
    results = [m for m in last["messages"] if m["role"] == "tool"]
    assert [(m["tool_name"], m["content"]) for m in results] == [("add", "5"), ("multiply", "20")]

    streamed = await _post(client, base, messages=[user(script)], stream=True)
    events = parse_sse(await streamed.text())
    assert events[-1] == "[DONE]"
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1] if e["choices"])
    assert text == "The answer is 20."
    runs = [m["output"] for e in events[:-1] for m in e.get("tool_calls_made") or []]
    assert runs == ["5", "20"]


@pytest.mark.parametrize("stream", [False, True])
async def test_client_tools_come_back_as_openai_tool_calls_and_the_round_trip_ends(
    client, base, stream
) -> None:  # type: ignore[no-untyped-def]
    question = user('[[get_weather {"city": "Lima"}]]')
    resp = await _post(client, base, messages=[question], tools=[WEATHER], stream=stream)
    assert resp.status == 200, await resp.text()
    if stream:
        events = parse_sse(await resp.text())
        deltas = [
            c for e in events[:-1] if e["choices"] for c in e["choices"][0]["delta"].get("tool_calls") or []
        ]
        finish = [
            e["choices"][0]["finish_reason"]
            for e in events[:-1]
            if e["choices"] and e["choices"][0]["finish_reason"]
        ]
        calls = [{k: d[k] for k in ("id", "type", "function")} for d in deltas]
    else:
        choice = (await resp.json())["choices"][0]
        calls, finish = choice["message"]["tool_calls"], [choice["finish_reason"]]
    assert finish == ["tool_calls"]
    [call] = calls
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Lima"}  # a JSON string, as OpenAI sends

    follow_up = [
        question,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 24 C"},
    ]
    done = await _post(client, base, messages=follow_up, tools=[WEATHER])
    assert done.status == 200, await done.text()
    choice = (await done.json())["choices"][0]
    assert choice["message"]["content"] == "The answer is Sunny, 24 C." and choice["finish_reason"] == "stop"


async def test_a_model_without_tools_is_refused_clearly(client, base) -> None:  # type: ignore[no-untyped-def]
    resp = await _post(client, base, model="gemma", messages=[user("Weather?")], tools=[WEATHER])
    assert resp.status == 502  # the daemon refused: its message is passed on
    assert "answered 400" in (detail := (await resp.json())["detail"]) and "does not support tools" in detail
