"""The local model's queue of chat turns is bounded: a turn that cannot start in time gets a
503 with ``Retry-After`` and a clear detail instead of hanging its client (LF_CHAT_QUEUE,
LF_CHAT_MAX_WAIT). The embedded Gemma runs the real turns; "a turn in progress" is the test
holding that same model's lock, so the timing is deterministic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.server.chat_support import make_project, user


@contextmanager
def model_in_use() -> Iterator[None]:
    """Hold every loaded llama.cpp model, as a long generation would."""
    from llamafarm_providers import llamacpp

    held = list(llamacpp._MODELS.values())
    assert held, "no model loaded"
    for loaded in held:
        loaded.lock.acquire()
    try:
        yield
    finally:
        for loaded in held:
            loaded.lock.release()


async def test_a_full_queue_answers_503_at_once_and_a_long_wait_503_in_time(
    client, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client, name="queued")
    url = f"{base}/chat/completions"
    body = {"messages": [user("Say hello.")], "max_tokens": 4}
    # Two real turns at once with the default queue: both answered, one after the other.
    both = await asyncio.gather(client.post(url, json=body), client.post(url, json=body))
    assert [r.status for r in both] == [200, 200]

    monkeypatch.setenv("LF_CHAT_QUEUE", "0")
    with model_in_use():
        for stream in (False, True):
            started = time.monotonic()
            resp = await client.post(url, json={**body, "stream": stream})
            assert resp.status == 503, await resp.text()
            assert time.monotonic() - started < 5  # refused at once, not after a wait
            assert resp.headers["Retry-After"].isdigit()
            assert (
                "busy" in (await resp.json())["detail"] and "LF_CHAT_QUEUE" in (await resp.json())["detail"]
            )

        monkeypatch.setenv("LF_CHAT_QUEUE", "4")
        monkeypatch.setenv("LF_CHAT_MAX_WAIT", "0.5")
        started = time.monotonic()
        resp = await client.post(url, json=body)
        waited = time.monotonic() - started
        assert resp.status == 503, await resp.text()
        assert 0.5 <= waited < 10
        assert "waited 0.5 s" in (await resp.json())["detail"]
        assert resp.headers["Retry-After"] == "1"

    # The model free again: the same request is answered.
    resp = await client.post(url, json=body)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["choices"][0]["message"]["content"].strip()


async def test_a_bad_queue_setting_is_a_clear_error(client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client, name="badqueue")
    url = f"{base}/chat/completions"
    body = {"messages": [user("Say hello.")], "max_tokens": 2}
    assert (await client.post(url, json=body)).status == 200
    monkeypatch.setenv("LF_CHAT_MAX_WAIT", "soon")
    with model_in_use():
        resp = await client.post(url, json=body)
    assert resp.status == 503
    assert "LF_CHAT_MAX_WAIT" in (await resp.json())["detail"]
