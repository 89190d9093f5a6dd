"""Sessions through the API: continue, history, delete, expiry, concurrency."""

from __future__ import annotations

import asyncio
import os
import time

from llamafarm_core.settings import Settings
from tests.server.chat_support import make_project, user


async def _chat(client, base: str, text: str, session: str | None = None, **extra):  # type: ignore[no-untyped-def]
    headers = {"X-Session-ID": session} if session else {}
    resp = await client.post(
        f"{base}/chat/completions", json={"messages": [user(text)], **extra}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    return resp


async def test_a_session_continues_and_its_history_is_kept(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    first = await _chat(client, base, "My name is Ada.")
    sid = first.headers["X-Session-ID"]
    second = await _chat(client, base, "What is my name?", sid)
    assert second.headers["X-Session-ID"] == sid
    history = await (await client.get(f"{base}/chat/sessions/{sid}/history")).json()
    answers = [(await r.json())["choices"][0]["message"]["content"] for r in (first, second)]
    assert history == {
        "session_id": sid,
        "messages": [
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": answers[0]},
            {"role": "user", "content": "What is my name?"},
            {"role": "assistant", "content": answers[1]},
        ],
    }


async def test_the_model_sees_the_history(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    await _chat(client, base, "Remember this.", "ctx")
    with_history = await (await _chat(client, base, "Next.", "ctx")).json()
    alone = await (await _chat(client, base, "Next.", "other")).json()
    assert with_history["usage"]["prompt_tokens"] > alone["usage"]["prompt_tokens"]


async def test_client_chosen_session_ids_are_accepted(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    resp = await _chat(client, base, "Hi", "my-session_1")
    assert resp.headers["X-Session-ID"] == "my-session_1"
    assert (await client.get(f"{base}/chat/sessions/my-session_1/history")).status == 200


async def test_delete_one_and_delete_all(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    for sid in ("a", "b", "c"):
        await _chat(client, base, "Hi", sid)
    resp = await client.delete(f"{base}/chat/sessions/a")
    assert resp.status == 200 and await resp.json() == {"message": "Session a deleted"}
    assert (await client.get(f"{base}/chat/sessions/a/history")).status == 404
    assert (await client.delete(f"{base}/chat/sessions/a")).status == 404
    resp = await client.delete(f"{base}/chat/sessions")
    assert await resp.json() == {"message": "Deleted 2 session(s)", "count": 2}
    assert (await client.get(f"{base}/chat/sessions/b/history")).status == 404
    assert await (await client.delete(f"{base}/chat/sessions")).json() == {
        "message": "Deleted 0 session(s)",
        "count": 0,
    }


async def test_bad_session_ids_in_paths_are_400(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    for bad in ("..", "a%2F..%2Fb", "x" * 129, "%20", "a%0Ab"):
        for resp in (
            await client.get(f"{base}/chat/sessions/{bad}/history"),
            await client.delete(f"{base}/chat/sessions/{bad}"),
        ):
            assert resp.status in (400, 404), bad
            assert "detail" in await resp.json()
    resp = await client.get(f"{base}/chat/sessions/{'x' * 129}/history")
    assert resp.status == 400 and "session id" in (await resp.json())["detail"]


async def test_twenty_concurrent_turns_on_one_session_are_serialised(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    replies = await asyncio.gather(
        *[_chat(client, base, f"message {i}", "busy", max_tokens=2) for i in range(20)]
    )
    answers = {
        f"message {i}": (await r.json())["choices"][0]["message"]["content"] for i, r in enumerate(replies)
    }
    history = (await (await client.get(f"{base}/chat/sessions/busy/history")).json())["messages"]
    assert len(history) == 40
    assert [m["role"] for m in history] == ["user", "assistant"] * 20
    assert sorted(m["content"] for m in history[::2]) == sorted(answers)
    for question, answer in zip(history[::2], history[1::2], strict=True):
        assert answer["content"] == answers[question["content"]]


async def test_sessions_expire_when_idle(aiohttp_client, data_dir, registry) -> None:  # type: ignore[no-untyped-def]
    from llamafarm_server.app import create_app

    client = await aiohttp_client(create_app(Settings(data_dir=data_dir, session_ttl_seconds=60), registry))
    base = await make_project(client)
    await _chat(client, base, "Hi", "idle")
    history_file = data_dir / "projects" / "acme" / "bot" / "sessions" / "idle" / "history.json"
    old = time.time() - 61
    os.utime(history_file, (old, old))
    assert (await client.get(f"{base}/chat/sessions/idle/history")).status == 404
    await _chat(client, base, "Hi again", "idle")  # the id starts a fresh session
    history = await (await client.get(f"{base}/chat/sessions/idle/history")).json()
    assert [m["content"] for m in history["messages"]][0] == "Hi again"
