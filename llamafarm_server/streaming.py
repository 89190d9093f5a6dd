"""Bridging blocking iterators (model generation) to async handlers, and SSE framing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from aiohttp import web

T = TypeVar("T")
_END = object()


class ThreadedIterator(Generic[T]):
    """Runs a blocking iterator in its own thread (not the shared executor, which a long
    generation would occupy) and hands its items to the event loop.

    ``stop()`` sets ``cancel`` and makes the thread close the iterator after the item in
    progress, so a generator's ``finally``/``with`` blocks run in that thread.
    """

    def __init__(self, factory: Callable[[], Iterator[T]], cancel: threading.Event) -> None:
        self._factory = factory
        self.cancel = cancel
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="llamafarm-stream", daemon=True)
        self.done = False

    def start(self) -> ThreadedIterator[T]:
        self._thread.start()
        return self

    def _put(self, kind: str, value: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, value))
        except RuntimeError:  # the loop is closed: the server is shutting down
            self.cancel.set()

    def _run(self) -> None:
        iterator: Iterator[T] | None = None
        try:
            iterator = self._factory()
            for item in iterator:
                if self.cancel.is_set():
                    break
                self._put("item", item)
        except BaseException as err:  # handed to the consumer, raised there
            self._put("error", err)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except BaseException as err:
                    self._put("error", err)
            self._put("end", None)

    async def next(self) -> T | None:
        """The next item; None at the end. An exception of the iterator is raised here."""
        if self.done:
            return None
        kind, value = await self._queue.get()
        if kind == "item":
            return value  # type: ignore[no-any-return]
        if kind == "error":
            self.done = True
            raise value
        self.done = True
        return None

    def stop(self) -> None:
        self.cancel.set()


def sse_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
        **(extra or {}),
    }


async def send_event(response: web.StreamResponse, data: Any) -> None:
    """One ``data:`` event: JSON, or the literal string given (e.g. ``[DONE]``)."""
    text = data if isinstance(data, str) else json.dumps(data, default=str)
    await response.write(f"data: {text}\n\n".encode())


async def wait_unless_disconnected(
    request: web.Request, task: asyncio.Future[T], on_disconnect: Callable[[], None], poll: float = 0.25
) -> T:
    """Await ``task``; call ``on_disconnect`` once if the client goes away meanwhile."""
    notified = False
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=poll)
            if done:
                return task.result()
            transport = request.transport
            if not notified and (transport is None or transport.is_closing()):
                on_disconnect()
                notified = True
    except asyncio.CancelledError:
        on_disconnect()
        raise
