"""Short blocking work that runs on the event loop itself while the server has nothing else
to do.

A query's blocking part (encode + store search, ~8 ms) goes to a thread and back
(:func:`~llamafarm_server.api.run_blocking`). On a small VM each hop wakes a thread on the
other core, which costs ~0.25 ms each way (measured: 9.10 against 9.60 ms for 9 ms of work
over HTTP, inline against ``asyncio.to_thread``; docs/performance.md, thirteenth round): 5 %
of a query. When the request is the only one in flight nothing is waiting for the loop, so
:meth:`ShortWork.run` runs the work right there, but only work known to be short: the same
work (the caller's key) ran in under :data:`BUDGET_S` last time, and its inputs have not
changed since (the caller's fingerprint, e.g. the identities of the config and of the
stores' generation files, so a changed config or a store another process wrote, which may
need a reload, goes to a thread). Everything else (a first run, a slow last run, a changed
fingerprint, a second request in flight) takes the thread as before. Work on the loop never
waits for a file lock (:func:`~llamafarm_core.file_locks.no_waiting`): a lock held
elsewhere, e.g. by a worker writing the store, sends the work to a thread, which waits
there. What a misjudgement can cost is one run's time on the loop; correctness never
depends on the choice.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web

from llamafarm_core.file_locks import LockBusy, no_waiting
from llamafarm_core.fsutil import StatKey, stat_key
from llamafarm_server.api import run_blocking

T = TypeVar("T")
BUDGET_S = 0.025  # longest last run that may run on the loop
MAX_KEYS = 256


@dataclass
class InFlight:
    """Requests the app is handling now (a streaming response counts until it ends)."""

    count: int = 0


IN_FLIGHT: web.AppKey[InFlight] = web.AppKey("in_flight", InFlight)


@web.middleware
async def count_in_flight(request: web.Request, handler):  # type: ignore[no-untyped-def]
    state = request.app[IN_FLIGHT]
    state.count += 1  # only ever touched on the loop's thread
    try:
        return await handler(request)
    finally:
        state.count -= 1


@dataclass
class _Last:
    fingerprint: Hashable
    seconds: float


class ShortWork:
    """What each key's work took last time, to decide where it runs next (module doc).
    Used on the loop's thread only."""

    def __init__(self, budget_s: float = BUDGET_S, max_keys: int = MAX_KEYS) -> None:
        self.budget_s = budget_s
        self.max_keys = max_keys
        self._last: OrderedDict[Hashable, _Last] = OrderedDict()

    async def run(
        self,
        request: web.Request,
        key: Hashable,
        fingerprint: Callable[[], Hashable | None],
        fn: Callable[[], T],
    ) -> T:
        """``fn()``, on the loop when it is known short and nothing else is in flight,
        else in a thread. ``fingerprint()`` (on the loop: keep it to a few ``stat`` calls)
        identifies ``fn``'s inputs; None: unknown, so a thread. ``fn`` must be safe to run
        again (a read): a lock held elsewhere stops it on the loop and a thread reruns it."""
        mark = fingerprint()
        last = self._last.get(key)
        here = (
            mark is not None
            and last is not None
            and last.fingerprint == mark
            and last.seconds <= self.budget_s
            and request.app[IN_FLIGHT].count <= 1
        )
        try:
            outcome = _on_loop(fn) if here else None
            result, seconds = outcome if outcome is not None else await run_blocking(_timed, fn)
        except BaseException:
            self._last.pop(key, None)  # a failed run: the next one takes a thread
            raise
        if mark is not None:
            self._last[key] = _Last(mark, seconds)
            self._last.move_to_end(key)
            while len(self._last) > self.max_keys:
                self._last.popitem(last=False)
        return result


def _on_loop(fn: Callable[[], T]) -> tuple[T, float] | None:
    """``fn()`` here, timed; None when it met a file lock held elsewhere (here it never
    waits for one: a writer may hold it for seconds), so it runs again in a thread."""
    try:
        with no_waiting():
            return _timed(fn)
    except LockBusy:
        return None


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


SHORT_WORK: web.AppKey[ShortWork] = web.AppKey("short_work", ShortWork)


def install(app: web.Application) -> None:
    """The in-flight count (a middleware) and the record of short work."""
    app[IN_FLIGHT] = InFlight()
    app[SHORT_WORK] = ShortWork()
    app.middlewares.append(count_in_flight)


def file_ids(*paths: str | os.PathLike[str]) -> tuple[StatKey | None, ...]:
    """A fingerprint from files' identities (:func:`~llamafarm_core.fsutil.stat_key`; None
    for a missing file). A file a writer replaces atomically (a config, a generation token)
    changes it."""
    out: list[StatKey | None] = []
    for path in paths:
        try:
            out.append(stat_key(os.stat(path)))
        except OSError:
            out.append(None)
    return tuple(out)
