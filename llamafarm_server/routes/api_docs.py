"""``GET /docs``: Swagger UI of ``/openapi.json``, served offline from the files of the
``swagger-ui-bundle-v2`` package (no CDN); ``GET /docs/static/{name}`` serves those files."""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path

from aiohttp import web

from llamafarm_core.errors import NotFound
from llamafarm_server.api import Router

router = Router("System")
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png")
INIT_JS = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
};
"""
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>LlamaFarm API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/static/init.js"></script>
</body>
</html>
"""
# The page loads only its own files; it talks only to this origin.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


@cache
def assets_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


@router.get("/docs")
async def docs_page(request: web.Request) -> web.Response:
    """Interactive API documentation (Swagger UI, served offline) of ``/openapi.json``."""
    return web.Response(text=PAGE, content_type="text/html", headers=HEADERS)


@router.get("/docs/static/{name}", responses={404: "no such file"})
async def docs_asset(request: web.Request) -> web.StreamResponse:
    """The Swagger UI files the ``/docs`` page loads."""
    name = request.match_info["name"]
    if name == "init.js":
        return web.Response(text=INIT_JS, content_type="application/javascript", headers=HEADERS)
    if name not in ASSETS:
        raise NotFound(f"no documentation file {name[:80]!r}")
    path = assets_dir() / name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return web.FileResponse(
        path, headers={**HEADERS, "Content-Type": content_type, "Cache-Control": "max-age=3600"}
    )
