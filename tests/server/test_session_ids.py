"""``X-Session-ID`` accepts what clients send (UUIDs, dotted and colon ids, up to 128
printable characters) and maps it to storage safely."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from llamafarm_core.chat.sessions import session_dir_name
from llamafarm_core.errors import BadRequest
from tests.server.chat_support import make_project, user

CLIENT_IDS = [
    str(uuid.uuid4()),
    "conv.2024.06.01",
    "user:42:thread:7",
    "../../../etc/passwd",
    "a/b\\c",
    "..",
    "x" * 128,
    "with space and 'quotes'",
]


@pytest.mark.parametrize("session_id", CLIENT_IDS)
def test_every_id_maps_to_one_plain_directory_name(session_id: str) -> None:
    name = session_dir_name(session_id)
    assert "/" not in name and "\\" not in name and name not in {".", ".."}
    assert name.replace("-", "").replace("_", "").isalnum() and len(name) <= 66
    assert session_dir_name(session_id) == name


def test_plain_ids_keep_their_directory_and_others_do_not_collide() -> None:
    assert session_dir_name("my-session_1") == "my-session_1"
    assert len({session_dir_name(s) for s in CLIENT_IDS}) == len(CLIENT_IDS)


@pytest.mark.parametrize("bad", ["", "x" * 129, "tab\there", "new\nline", "caf\u00e9"])
def test_unprintable_or_long_ids_are_refused(bad: str) -> None:
    with pytest.raises(BadRequest, match="session id"):
        session_dir_name(bad)


async def test_client_ids_round_trip_through_the_api(client, data_dir) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    for session_id in CLIENT_IDS[:5]:
        resp = await client.post(
            f"{base}/chat/completions",
            json={"messages": [user("Hi")], "max_tokens": 1},
            headers={"X-Session-ID": session_id},
        )
        assert resp.status == 200, await resp.text()
        assert resp.headers["X-Session-ID"] == session_id
        if "/" in session_id:
            continue  # a URL path can't carry it (the router splits on the decoded '/')
        history = await client.get(f"{base}/chat/sessions/{quote(session_id, safe='')}/history")
        assert history.status == 200, await history.text()
        assert (await history.json())["session_id"] == session_id
    sessions = data_dir / "projects" / "acme" / "bot" / "sessions"
    assert sorted(p.name for p in sessions.iterdir()) == sorted(session_dir_name(s) for s in CLIENT_IDS[:5])
    assert not (data_dir / "etc").exists() and not (data_dir / "projects" / "etc").exists()
    resp = await client.delete(f"{base}/chat/sessions/{quote(CLIENT_IDS[2], safe='')}")
    assert resp.status == 200
    assert (await (await client.delete(f"{base}/chat/sessions")).json())["count"] == 4


async def test_a_too_long_header_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client)
    resp = await client.post(
        f"{base}/chat/completions", json={"messages": [user("Hi")]}, headers={"X-Session-ID": "x" * 129}
    )
    assert resp.status == 400 and "session id" in (await resp.json())["detail"]
