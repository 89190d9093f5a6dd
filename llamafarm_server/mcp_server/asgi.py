"""Serve an ASGI app (the MCP SDK's streamable-HTTP transport) from an aiohttp handler.

Only what the transport needs: one HTTP request in (body read up front, bounded by the
caller), the response streamed out as the app sends it (JSON, or SSE events as they come).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aiohttp import web

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


def _scope(request: web.Request, body_path: str) -> Scope:
    transport = request.transport
    sock = (transport.get_extra_info("sockname") if transport else None) or ("127.0.0.1", 0)
    peer = transport.get_extra_info("peername") if transport else None
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": body_path,
        "raw_path": request.raw_path.encode(),
        "query_string": request.query_string.encode(),
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.raw_headers],
        "client": tuple(peer[:2]) if peer else None,
        "server": tuple(sock[:2]),
    }


async def serve_asgi(app: ASGIApp, request: web.Request, body: bytes) -> web.StreamResponse:
    """Run ``app`` for this request; returns the (already written) aiohttp response."""
    response: web.StreamResponse | None = None
    sent_body = False
    disconnected = asyncio.Event()

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal response
        if message["type"] == "http.response.start":
            response = web.StreamResponse(status=message["status"])
            for key, value in message.get("headers", []):
                name = key.decode("latin-1")
                if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                    response.headers.add(name, value.decode("latin-1"))
        elif message["type"] == "http.response.body":
            assert response is not None, "ASGI app sent a body before its start"
            if not response.prepared:
                await response.prepare(request)
            chunk = message.get("body", b"")
            if chunk:
                await response.write(chunk)
            if not message.get("more_body", False):
                await response.write_eof()

    try:
        await app(_scope(request, request.path), receive, send)
    finally:
        disconnected.set()
    if response is None:
        raise RuntimeError("the ASGI app sent no response")
    if not response.prepared:
        await response.prepare(request)
        await response.write_eof()
    return response
