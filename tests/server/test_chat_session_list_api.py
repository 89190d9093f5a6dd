"""Listing a project's chat sessions: the ids clients sent, newest first, titles, limits."""

from __future__ import annotations

import os
import time

from tests.server.chat_support import make_project, user


async def _chat(client, base: str, text: str, session: str) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(
        f"{base}/chat/completions", json={"messages": [user(text)]}, headers={"X-Session-ID": session}
    )
    assert resp.status == 200, await resp.text()


async def test_sessions_are_listed_newest_first_with_the_ids_clients_sent(client, data_dir) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    assert await (await client.get(f"{base}/chat/sessions")).json() == {"total": 0, "sessions": []}
    odd = "urn:chat/../x 1"  # stored under a hash; listed as sent
    long_question = "Tell me   about\nllamas " + "and alpacas " * 10
    await _chat(client, base, long_question, "plain-1")
    await _chat(client, base, "Second session", odd)
    await _chat(client, base, "Follow-up", "plain-1")
    sessions_dir = data_dir / "projects" / "acme" / "bot" / "sessions"
    assert sorted(p.name for p in sessions_dir.iterdir())[0].startswith("h-")
    # Make the order independent of the file system's clock granularity.
    now = time.time()
    os.utime(sessions_dir / "plain-1" / "history.json", (now, now))
    hashed = next(p for p in sessions_dir.iterdir() if p.name.startswith("h-"))
    os.utime(hashed / "history.json", (now - 5, now - 5))

    listing = await (await client.get(f"{base}/chat/sessions")).json()
    assert listing["total"] == 2
    first, second = listing["sessions"]
    assert first["session_id"] == "plain-1" and second["session_id"] == odd
    assert first["message_count"] == 4 and second["message_count"] == 2
    assert first["title"].startswith("Tell me about llamas and alpacas")
    assert len(first["title"]) <= 60 and first["title"].endswith("…") and "\n" not in first["title"]
    assert second["title"] == "Second session"
    assert first["created_at"] <= first["updated_at"]
    # The listed id works as is in the session's URLs.
    history = await client.get(f"{base}/chat/sessions/{second['session_id'].replace('/', '%2F')}/history")
    assert history.status == 200 and (await history.json())["session_id"] == odd

    one = await (await client.get(f"{base}/chat/sessions", params={"limit": "1"})).json()
    assert [s["session_id"] for s in one["sessions"]] == ["plain-1"]
    assert (await client.delete(f"{base}/chat/sessions/plain-1")).status == 200
    left = await (await client.get(f"{base}/chat/sessions")).json()
    assert [s["session_id"] for s in left["sessions"]] == [odd]


async def test_expired_and_damaged_sessions_are_not_listed(client, data_dir) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    for sid in ("old", "broken", "fine"):
        await _chat(client, base, f"Hello {sid}", sid)
    sessions_dir = data_dir / "projects" / "acme" / "bot" / "sessions"
    long_ago = time.time() - 10 * 24 * 3600
    os.utime(sessions_dir / "old" / "history.json", (long_ago, long_ago))
    (sessions_dir / "broken" / "history.json").write_text("{not json")
    listing = await (await client.get(f"{base}/chat/sessions")).json()
    assert [s["session_id"] for s in listing["sessions"]] == ["fine"]


async def test_bad_listing_requests_are_clear_4xx(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    for bad in ("0", "1001", "many"):
        resp = await client.get(f"{base}/chat/sessions", params={"limit": bad})
        assert resp.status == 400 and "limit" in (await resp.json())["detail"]
    missing = await client.get("/v1/projects/acme/nope/chat/sessions")
    assert missing.status == 404 and "detail" in await missing.json()
