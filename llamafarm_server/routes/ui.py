"""The web UI: static files under ``/ui/`` (``llamafarm_server/ui/static``).

The UI is plain ES modules and CSS, no build step; it talks to the server only through the
public HTTP API, so it works against a remote server and behind the API key. These routes
stay out of the OpenAPI document (they are not API).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from llamafarm_server.api import Router

router = Router("UI")  # no API endpoints: the routes are added in setup()
STATIC_DIR = Path(__file__).resolve().parent.parent / "ui" / "static"
UI_PATH = "/ui/"
# The page never loads anything but its own files and talks only to this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


async def index(request: web.Request) -> web.FileResponse:
    """The single page; every view lives behind a ``#/…`` fragment."""
    return web.FileResponse(STATIC_DIR / "index.html")


async def to_index(request: web.Request) -> web.Response:
    raise web.HTTPFound(UI_PATH)


async def _static_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(UI_PATH) and response.status < 400:
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)


def setup(app: web.Application) -> None:
    app.router.add_get("/ui", to_index)
    app.router.add_get(UI_PATH, index)
    # add_static refuses paths that leave the directory and never lists it.
    app.router.add_static(UI_PATH + "static/", STATIC_DIR, append_version=False)
    app.on_response_prepare.append(_static_headers)
