"""Connections to MCP servers, through the official ``mcp`` SDK's client.

The SDK is asynchronous and the chat service is synchronous (it runs in worker threads), so
:class:`McpConnections` owns one event loop in a daemon thread. Each server of each project
gets one long-lived connection there: a stdio server is started once and kept (not started
per call), an http/sse server stays connected. A connection that died is reopened on next use.

Limits: starting/connecting and listing tools take at most ``connect_timeout``; one call at
most ``timeout``; a result longer than ``max_result_chars`` is cut. A server that fails gives
:class:`~llamafarm_core.errors.UpstreamError` / ``UpstreamTimeout`` naming the server — never
a hang. ``${VAR}`` placeholders in ``env``/``headers``/``base_url`` are expanded here and the
values never appear in an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
from collections.abc import Coroutine, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

from llamafarm_core.config.envsubst import expand, expand_str
from llamafarm_core.config.mcp import McpServer
from llamafarm_core.errors import ComponentUnavailable, UpstreamError, UpstreamTimeout

log = logging.getLogger("llamafarm.mcp")
T = TypeVar("T")


@dataclass(frozen=True)
class McpTool:
    """A tool an MCP server offers, in the shape OpenAI's ``tools`` wants."""

    server: str
    name: str
    description: str
    parameters: dict[str, Any]

    def openai(self, exposed_name: str | None = None) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": exposed_name or self.name,
                "description": self.description,
                "parameters": self.parameters or {"type": "object", "properties": {}},
            },
        }


@dataclass(frozen=True)
class ToolOutput:
    """What a call returned: its text (content blocks joined) and whether the tool failed."""

    text: str
    is_error: bool = False


def describe(server: McpServer) -> str:
    """The server for messages: name and transport, never env values or URL credentials."""
    if server.transport == "stdio":
        return f"mcp server {server.name!r} (stdio: {server.command})"
    return f"mcp server {server.name!r} ({server.transport})"


class _Connection:
    """One open session, held by a task on the loop until closed."""

    def __init__(self, server: McpServer) -> None:
        self.server = server
        self.client: Any = None
        self.tools: list[McpTool] | None = None
        self.ready = asyncio.Event()
        self.stop = asyncio.Event()
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done() and self.error is None

    async def run(self) -> None:
        try:
            async with _client(self.server) as client:
                self.client = client
                self.ready.set()
                await self.stop.wait()
        except BaseException as err:  # noqa: BLE001 — kept for the waiting caller
            self.error = err
        finally:
            self.client = None
            self.ready.set()


def _client(server: McpServer) -> Any:
    """An (unentered) ``mcp.Client`` for the server's transport."""
    try:
        from mcp import Client, StdioServerParameters
    except ImportError:
        raise ComponentUnavailable("mcp: the mcp package is not installed (pip install mcp)") from None
    if server.transport == "stdio":
        params = StdioServerParameters(
            command=expand_str(server.command or ""),
            args=[expand_str(a) for a in server.args],
            env={k: expand_str(v) for k, v in server.env.items()} or None,
            cwd=expand_str(server.cwd) if server.cwd else None,
        )
        return Client(params, read_timeout_seconds=server.timeout)
    url = expand_str(server.base_url or "")
    headers = {str(k): str(v) for k, v in dict(expand(dict(server.headers))).items()}
    if server.transport == "sse":
        from mcp.client.sse import sse_client

        transport = sse_client(url, headers=headers or None, timeout=server.connect_timeout)
        return Client(transport, read_timeout_seconds=server.timeout)
    if not headers:
        return Client(url, read_timeout_seconds=server.timeout)
    return Client(_http_with_headers(url, headers), read_timeout_seconds=server.timeout)


def _http_with_headers(url: str, headers: dict[str, str]) -> Any:
    """A streamable-HTTP transport whose HTTP client sends ``headers`` (closed with it)."""
    from contextlib import asynccontextmanager

    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    @asynccontextmanager
    async def transport() -> Any:
        async with (
            create_mcp_http_client(headers=headers) as http,
            streamable_http_client(url, http_client=http) as streams,
        ):
            yield streams

    return transport()


class McpConnections:
    """Process-wide MCP connections, keyed by (scope, server settings); thread-safe.

    ``scope`` is the project's directory, so two projects never share a server process
    even when their entries look alike. Changing a server's entry in the config opens a
    new connection (the key includes a hash of the entry); :meth:`release` ends those of one
    project no longer in its config (or all of them, when the project is deleted);
    :meth:`close` ends them all and stops the stdio servers.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._conns: dict[tuple[str, str], _Connection] = {}
        self._lock = threading.Lock()

    # -- the loop thread ---------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float, what: str) -> T:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="llamafarm-mcp", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            loop = self._loop
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout + 1.0)
        except FutureTimeout:
            future.cancel()
            raise UpstreamTimeout(f"{what} did not answer within {timeout:g}s") from None

    # -- public, blocking --------------------------------------------------------------

    def list_tools(self, scope: str, server: McpServer) -> list[McpTool]:
        """The server's tools (listed once per connection), filtered by ``server.tools``."""
        tools = self._run(self._list(scope, server), 2 * server.connect_timeout, describe(server))
        if server.tools is not None:
            tools = [t for t in tools if t.name in server.tools]
        return tools

    def call_tool(self, scope: str, server: McpServer, name: str, arguments: dict[str, Any]) -> ToolOutput:
        """Run one tool; a tool's own failure is a ToolOutput with ``is_error`` (the model
        sees it), a broken or silent server an UpstreamError/UpstreamTimeout."""
        budget = server.connect_timeout + server.timeout
        what = f"{describe(server)} tool {name!r}"
        return self._run(self._call(scope, server, name, arguments), budget, what)

    def release(self, scope: str, keep: Iterable[McpServer] = ()) -> int:
        """Close the scope's connections except those of the servers in ``keep`` (a project's
        current ``mcp.servers``; none when the project is deleted), so stdio servers of a
        removed or changed entry exit now, not when the process stops. Returns how many."""
        with self._lock:
            loop = self._loop
        if loop is None:
            return 0
        kept = {_key(scope, server) for server in keep}
        future = asyncio.run_coroutine_threadsafe(self._close_where(scope, kept), loop)
        try:
            return future.result(15)
        except Exception:  # noqa: BLE001 — the caller's change (delete, update) stands anyway
            log.warning("mcp: connections of %s did not close cleanly", scope, exc_info=True)
            return 0

    def close(self) -> None:
        """Close every connection (stdio servers exit) and stop the loop thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close_all(), loop).result(15)
        except Exception:  # noqa: BLE001 — shutting down anyway
            log.warning("mcp: some connections did not close cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)

    def __enter__(self) -> McpConnections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- on the loop -------------------------------------------------------------------

    async def _connection(self, scope: str, server: McpServer) -> _Connection:
        key = _key(scope, server)
        conn = self._conns.get(key)
        if conn is None or not conn.alive:
            conn = self._conns[key] = _Connection(server)
            conn.task = asyncio.get_running_loop().create_task(conn.run())
        try:
            await asyncio.wait_for(conn.ready.wait(), server.connect_timeout)
        except TimeoutError:
            conn.stop.set()
            if conn.task is not None:
                conn.task.cancel()
            self._conns.pop(key, None)
            raise UpstreamTimeout(
                f"{describe(server)} did not start or connect within {server.connect_timeout:g}s"
            ) from None
        if conn.error is not None or conn.client is None:
            self._conns.pop(key, None)
            raise UpstreamError(f"{describe(server)} failed to start or connect: {_reason(conn.error)}")
        return conn

    async def _list(self, scope: str, server: McpServer) -> list[McpTool]:
        conn = await self._connection(scope, server)
        async with conn.lock:
            if conn.tools is None:
                try:
                    result = await asyncio.wait_for(conn.client.list_tools(), server.connect_timeout)
                except TimeoutError:
                    raise UpstreamTimeout(
                        f"{describe(server)} did not list its tools within {server.connect_timeout:g}s"
                    ) from None
                except Exception as err:
                    conn.stop.set()
                    raise UpstreamError(f"{describe(server)} failed to list tools: {_reason(err)}") from None
                conn.tools = [
                    McpTool(server.name, t.name, t.description or "", dict(t.input_schema or {}))
                    if hasattr(t, "input_schema")
                    else McpTool(server.name, t.name, t.description or "", dict(t.inputSchema or {}))
                    for t in result.tools
                ]
            return list(conn.tools)

    async def _call(self, scope: str, server: McpServer, name: str, arguments: dict[str, Any]) -> ToolOutput:
        conn = await self._connection(scope, server)
        try:
            result = await asyncio.wait_for(conn.client.call_tool(name, arguments), server.timeout)
        except TimeoutError:
            raise UpstreamTimeout(
                f"{describe(server)} tool {name!r} did not answer within {server.timeout:g}s"
            ) from None
        except Exception as err:
            if not conn.alive or _is_transport_error(err):
                conn.stop.set()
                raise UpstreamError(
                    f"{describe(server)} failed during tool {name!r}: {_reason(err)}"
                ) from None
            return ToolOutput(f"error: {_reason(err)}", is_error=True)
        text = _result_text(result)
        if len(text) > server.max_result_chars:
            text = text[: server.max_result_chars] + f"\n[cut: the result was {len(text)} characters]"
        return ToolOutput(text, bool(getattr(result, "is_error", getattr(result, "isError", False))))

    async def _close_where(self, scope: str, kept: set[tuple[str, str]]) -> int:
        gone = [key for key in self._conns if key[0] == scope and key not in kept]
        await _stop([self._conns.pop(key) for key in gone])
        return len(gone)

    async def _close_all(self) -> None:
        conns, self._conns = list(self._conns.values()), {}
        await _stop(conns)


def _key(scope: str, server: McpServer) -> tuple[str, str]:
    """A connection's key: the scope, the server's name and a hash of its settings."""
    digest = hashlib.sha256(json.dumps(server.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    return (scope, f"{server.name}:{digest[:16]}")


async def _stop(conns: list[_Connection]) -> None:
    """End the connections' tasks (a stdio server exits when its session closes)."""
    for conn in conns:
        conn.stop.set()
    tasks = [c.task for c in conns if c.task is not None]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=10)
        for task in pending:
            task.cancel()


def _result_text(result: Any) -> str:
    """Text blocks as they are; structured content as JSON; other blocks described."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource" and hasattr(getattr(block, "resource", None), "text"):
            parts.append(block.resource.text)
        else:
            parts.append(f"[{kind or 'unknown'} content omitted]")
    structured = getattr(result, "structured_content", getattr(result, "structuredContent", None))
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False))
    return "\n".join(parts)


def _is_transport_error(err: BaseException) -> bool:
    return isinstance(err, OSError | EOFError | ConnectionError) or type(err).__name__ in {
        "ClosedResourceError",
        "BrokenResourceError",
        "EndOfStream",
    }


def _reason(err: BaseException | None) -> str:
    """A short cause; exception groups (anyio) are unwrapped to their first leaf."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    if err is None:
        return "unknown error"
    text = str(err).strip() or type(err).__name__
    return f"{type(err).__name__}: {text}"[:500]
