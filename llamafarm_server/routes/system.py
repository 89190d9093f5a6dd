"""``GET /``, ``GET /info`` and ``GET /openapi.json``."""

from __future__ import annotations

from aiohttp import web

from llamafarm_core import __version__
from llamafarm_server.api import Router, json_response
from llamafarm_server.context import SETTINGS
from llamafarm_server.openapi import build_openapi
from llamafarm_server.schemas.system import Hello, Info

router = Router("System")


@router.get("/", response=Hello)
async def hello(request: web.Request) -> Hello:
    """Basic hello endpoint."""
    return Hello(message="Hello, World!")


@router.get("/info", response=Info)
async def info(request: web.Request) -> Info:
    """Version and data directory."""
    return Info(version=__version__, data_directory=str(request.app[SETTINGS].data_dir))


@router.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of every route."""
    return json_response(build_openapi(request.app))
