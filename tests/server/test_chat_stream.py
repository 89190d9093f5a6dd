"""Streaming chat completions (SSE) through the in-process app with the embedded model."""

from __future__ import annotations

import asyncio

from llamafarm_providers import llamacpp

from tests.server.chat_support import make_project, parse_sse, user


async def test_stream_chunks_role_first_finish_last_then_done(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    resp = await client.post(
        f"{base}/chat/completions",
        json={"messages": [user("Say hello.")], "stream": True},
        headers={"X-Session-ID": "s"},
    )
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    assert resp.headers["X-Session-ID"] == "s"
    events = parse_sse(await resp.text())
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "local" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in c["choices"][0]["delta"] for c in chunks[1:])
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] in {"stop", "length"} and last["choices"][0]["delta"] == {}
    assert last["sources"] == [] and last["usage"]["completion_tokens"] > 0
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.strip()
    history = await (await client.get(f"{base}/chat/sessions/s/history")).json()
    assert history["messages"] == [
        {"role": "user", "content": "Say hello."},
        {"role": "assistant", "content": text},
    ]


async def test_stream_and_non_stream_give_the_same_answer(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    body = {"messages": [user("Name a fruit.")], "temperature": 0.8, "seed": 5}
    await client.post(f"{base}/chat/completions", json=body)  # warm llama.cpp's prompt cache
    plain = await (await client.post(f"{base}/chat/completions", json=body)).json()
    streamed = parse_sse(
        await (await client.post(f"{base}/chat/completions", json={**body, "stream": True})).text()
    )
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in streamed[:-1])
    assert text == plain["choices"][0]["message"]["content"]


async def test_errors_before_the_first_token_keep_their_status(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    resp = await client.post(
        f"{base}/chat/completions", json={"messages": [user("hi")], "model": "nope", "stream": True}
    )
    assert resp.status == 400 and "configured models" in (await resp.json())["detail"]


async def test_a_client_that_leaves_stops_generation_and_stores_nothing(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    body = {
        "messages": [user("Tell a very long story.")],
        "stream": True,
        "max_tokens": 400,
        "temperature": 1.0,
    }
    resp = await client.post(f"{base}/chat/completions", json=body, headers={"X-Session-ID": "gone"})
    assert resp.status == 200
    await resp.content.readline()  # the first event has arrived: generation is under way
    resp.close()  # the client disconnects
    loaded = next(iter(llamacpp._MODELS.values()))
    for _ in range(60):  # released within 3 s: long before 400 tokens could be written
        if not loaded.lock.locked():
            break
        await asyncio.sleep(0.05)
    assert not loaded.lock.locked()
    assert (await client.get(f"{base}/chat/sessions/gone/history")).status == 404
    again = await client.post(
        f"{base}/chat/completions", json={"messages": [user("Hi")]}, headers={"X-Session-ID": "gone"}
    )
    assert again.status == 200
    history = await (await client.get(f"{base}/chat/sessions/gone/history")).json()
    assert len(history["messages"]) == 2
