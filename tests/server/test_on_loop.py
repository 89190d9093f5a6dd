"""Short work on the event loop: only when the request is alone, the same work ran short last
time and its inputs (the fingerprint) did not change; anything else takes a thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from aiohttp import web

from llamafarm_server import on_loop
from llamafarm_server.on_loop import SHORT_WORK, ShortWork, file_ids

RELEASE = web.AppKey("release", asyncio.Event)
HELD = web.AppKey("held", asyncio.Event)


def _app(fingerprint: list[object], seconds: list[float]) -> web.Application:
    """``/work`` reports the thread its work ran in; ``/hold`` stays in flight until told."""
    app = web.Application()
    on_loop.install(app)
    app[RELEASE] = asyncio.Event()
    app[HELD] = asyncio.Event()

    async def work(request: web.Request) -> web.Response:
        def fn() -> str:
            if seconds:
                threading.Event().wait(seconds.pop(0))
            if request.query.get("fail"):
                raise ValueError("failed run")
            return threading.current_thread().name

        try:
            where = await app[SHORT_WORK].run(
                request, request.query.get("key", "k"), lambda: fingerprint[0], fn
            )
        except ValueError:
            return web.Response(status=400, text="failed")
        return web.Response(text=where)

    async def hold(request: web.Request) -> web.Response:
        app[HELD].set()
        await app[RELEASE].wait()
        return web.Response(text="released")

    app.router.add_get("/work", work)
    app.router.add_get("/hold", hold)
    return app


async def _where(client, **query: str) -> str:  # type: ignore[no-untyped-def]
    resp = await client.get("/work", params=query)
    return await resp.text()


async def test_known_short_work_of_a_lone_request_runs_on_the_loop(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    loop_thread = threading.current_thread().name
    fingerprint: list[object] = [("config", 1)]
    client = await aiohttp_client(_app(fingerprint, []))
    assert await _where(client) != loop_thread  # first run: nothing known yet
    assert await _where(client) == loop_thread  # ran short last time, same inputs
    assert await _where(client, key="other") != loop_thread  # other work has its own record
    fingerprint[0] = ("config", 2)  # e.g. another process wrote the store
    assert await _where(client) != loop_thread
    assert await _where(client) == loop_thread
    fingerprint[0] = None  # inputs unknown
    assert await _where(client) != loop_thread
    assert await _where(client) != loop_thread


async def test_a_slow_or_failed_last_run_sends_the_next_to_a_thread(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    loop_thread = threading.current_thread().name
    seconds: list[float] = []
    client = await aiohttp_client(_app([("config", 1)], seconds))
    await _where(client)
    seconds.append(on_loop.BUDGET_S * 2)
    assert await _where(client) == loop_thread  # known short, so here: this run was slow
    assert await _where(client) != loop_thread  # ... so the next one is not
    assert await _where(client) == loop_thread  # short again
    assert (await client.get("/work", params={"fail": "1"})).status == 400
    assert await _where(client) != loop_thread  # after a failure: no record


async def test_another_request_in_flight_sends_work_to_a_thread(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    loop_thread = threading.current_thread().name
    app = _app([("config", 1)], [])
    client = await aiohttp_client(app)
    await _where(client)
    assert await _where(client) == loop_thread
    held = asyncio.ensure_future(client.get("/hold"))
    await asyncio.wait_for(app[HELD].wait(), 10)
    assert await _where(client) != loop_thread  # the loop is serving someone else too
    app[RELEASE].set()
    assert (await (await held).text()) == "released"
    assert await _where(client) == loop_thread


async def test_the_record_is_bounded() -> None:
    work = ShortWork(max_keys=3)

    class _Request:
        app = {on_loop.IN_FLIGHT: on_loop.InFlight(1)}

    for key in range(10):
        await work.run(_Request(), key, lambda: "same", lambda: None)  # type: ignore[arg-type]
    assert list(work._last) == [7, 8, 9]


def test_file_ids_change_when_a_file_is_replaced(tmp_path: Path) -> None:
    token = tmp_path / "generation"
    token.write_text("a")
    before = file_ids(token)
    assert before is not None and file_ids(token) == before
    replacement = tmp_path / "new"
    replacement.write_text("b")
    replacement.replace(token)  # how writers replace a generation token
    assert file_ids(token) != before
    missing = tmp_path / "missing"
    assert file_ids(token, missing)[1] is None
    missing.write_text("now here")
    assert file_ids(token, missing)[1] is not None
