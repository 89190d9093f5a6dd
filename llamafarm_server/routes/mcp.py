"""The project as an MCP server: ``/v1/projects/{namespace}/{project}/mcp`` (streamable HTTP).

The SDK's session manager runs in one background task of the app, started by the first
request (so an app that never serves MCP never imports the SDK) and stopped at cleanup.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from llamafarm_core.errors import PayloadTooLarge
from llamafarm_server.api import Router, json_response, run_blocking
from llamafarm_server.context import PROJECTS, REGISTRY, SETTINGS, project_ref
from llamafarm_server.mcp_server.asgi import serve_asgi
from llamafarm_server.mcp_server.tools import ProjectScope
from llamafarm_server.routes.chat import SESSIONS

router = Router("MCP")
PATH = "/v1/projects/{namespace}/{project}/mcp"
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the SDK's own default request limit


@dataclass
class McpRuntime:
    """The SDK manager and the task that keeps its ``run()`` context open."""

    manager: Any = None
    task: asyncio.Task[None] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def ensure_started(self) -> Any:
        async with self.lock:
            if self.manager is None:
                from llamafarm_server.mcp_server.server import build_manager, build_server

                manager = build_manager(build_server())
                started = asyncio.Event()

                async def keep_running() -> None:
                    async with manager.run():
                        started.set()
                        await self.stop.wait()

                self.task = asyncio.create_task(keep_running(), name="llamafarm-mcp")
                waiter = asyncio.create_task(started.wait())
                await asyncio.wait({self.task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if self.task.done():
                    self.task.result()  # raises why it could not start
                self.manager = manager
        return self.manager

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await self.task


MCP_RUNTIME: web.AppKey[McpRuntime] = web.AppKey("mcp_runtime", McpRuntime)


def setup(app: web.Application) -> None:
    app[MCP_RUNTIME] = McpRuntime()

    async def close(app: web.Application) -> None:
        await app[MCP_RUNTIME].close()

    app.on_cleanup.append(close)


async def _serve(request: web.Request) -> web.StreamResponse:
    from llamafarm_server.mcp_server.server import CURRENT

    app = request.app
    ref = project_ref(request)
    await run_blocking(app[PROJECTS].get, ref)  # 404 for an unknown project, before any MCP
    if request.content_length is not None and request.content_length > MAX_MESSAGE_BYTES:
        raise PayloadTooLarge(f"MCP messages are limited to {MAX_MESSAGE_BYTES} bytes")
    body = await request.read()
    if len(body) > MAX_MESSAGE_BYTES:
        raise PayloadTooLarge(f"MCP messages are limited to {MAX_MESSAGE_BYTES} bytes")
    manager = await app[MCP_RUNTIME].ensure_started()
    token = CURRENT.set(ProjectScope(app[SETTINGS], app[REGISTRY], app[PROJECTS], app[SESSIONS], ref))
    try:
        return await serve_asgi(manager.handle_request, request, body)
    finally:
        CURRENT.reset(token)


@router.post(PATH, responses={404: "no such project"})
async def mcp_post(request: web.Request) -> web.StreamResponse:
    """MCP over streamable HTTP: JSON-RPC messages in, JSON (or SSE) out. Tools ``search``,
    ``list_datasets``, ``list_documents``, ``ask``; the datasets' files as resources."""
    return await _serve(request)


def _not_offered(what: str) -> web.Response:
    return json_response({"detail": what}, status=405, headers={"Allow": "POST"})


@router.get(PATH, responses={405: "no server-initiated stream"})
async def mcp_get(request: web.Request) -> web.Response:
    """MCP streamable HTTP: this server is stateless, so it opens no server-to-client stream
    (405, as the protocol allows)."""
    return _not_offered("this MCP endpoint is stateless: it offers no GET stream; POST JSON-RPC messages")


@router.delete(PATH, responses={405: "no sessions to end"})
async def mcp_delete(request: web.Request) -> web.Response:
    """MCP streamable HTTP: this server keeps no sessions, so there is none to end (405)."""
    return _not_offered("this MCP endpoint is stateless: there is no session to delete")
