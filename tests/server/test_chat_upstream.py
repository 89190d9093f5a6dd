"""Chat through the openai provider to a real llama.cpp server: it works, and when the
server dies mid-stream the client gets an error event and a closed stream, not a hang."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.chat_support import make_project, parse_sse, user
from tests.servers import ChildServer, llama_cpp

LONG = "Continue the list: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,"


@pytest.fixture
def doomed_server(tmp_path: Path) -> Iterator[ChildServer]:
    """A llama.cpp server of this test alone (the test kills it)."""
    from llamafarm_core.bundled import gemma_gguf_path

    with llama_cpp(gemma_gguf_path(), tmp_path, n_ctx=1024, alias="gemma3-270m") as server:
        yield server


def _remote(url: str) -> dict:
    model = {"name": "remote", "provider": "openai", "model": "gemma3-270m", "base_url": f"{url}/v1"}
    return {"models": [dict(model, provider_config={"timeout": 30})]}


async def test_chat_through_an_openai_compatible_server(client, doomed_server) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client, runtime=_remote(doomed_server.url))
    resp = await client.post(
        f"{base}/chat/completions",
        json={"messages": [user("Say hi.")], "max_tokens": 6},
        headers={"X-Session-ID": "r"},
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["model"] == "remote" and body["usage"]["completion_tokens"] <= 6
    history = await (await client.get(f"{base}/chat/sessions/r/history")).json()
    assert history["messages"][1]["content"] == body["choices"][0]["message"]["content"]


async def test_provider_dying_mid_stream_is_an_error_event_then_the_end(client, doomed_server) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client, runtime=_remote(doomed_server.url))
    body = {"messages": [user(LONG)], "max_tokens": 300, "temperature": 0.0, "stream": True}
    resp = await client.post(f"{base}/chat/completions", json=body, headers={"X-Session-ID": "dies"})
    assert resp.status == 200
    first = await resp.content.readline()
    assert first.startswith(b"data: {")
    doomed_server.proc.kill()  # the upstream vanishes in the middle of the answer
    rest = await asyncio.wait_for(resp.text(), timeout=60)  # the stream ends; it doesn't hang
    events = parse_sse(first.decode() + "\n" + rest)
    assert "[DONE]" not in events
    error = events[-1]["error"]
    assert error["code"] == 502 and doomed_server.url in error["message"]
    assert (await client.get(f"{base}/chat/sessions/dies/history")).status == 404
