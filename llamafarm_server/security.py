"""Browser-facing defences, as one aiohttp middleware that covers every route of the app.

A local server is reachable by every web page its user opens, so each request is checked,
in this order, before any handler runs (see docs/security.md):

1. ``Host`` must be a loopback name or in ``LF_ALLOWED_HOSTS`` (defeats DNS rebinding).
2. ``Origin``, when sent, must be the server's own origin or in ``LF_CORS_ORIGINS``
   (defeats cross-site requests); listed origins get CORS headers and preflight answers.
3. A body on a POST/PUT/PATCH/DELETE must be ``application/json`` or ``multipart/form-data``:
   the other "simple" types a page may send cross-site without a preflight (``text/plain``,
   forms) are a 415. JSON endpoints further require ``application/json`` (``api.read_json``).
4. With ``LF_API_KEY`` set, ``Authorization: Bearer <key>`` (constant-time compare) on every
   route except ``/health/liveness`` and GETs of the web UI's static files under ``/ui/``, of
   the API's description (``/openapi.json``) and of its Swagger UI (``/docs``, its files).

Rejections are ``{"detail": ...}`` naming the setting that would allow the request.
"""

from __future__ import annotations

import hmac

from aiohttp import hdrs, web
from yarl import URL

from llamafarm_core.settings import LOOPBACK_HOSTS, Settings
from llamafarm_server.api import json_response
from llamafarm_server.context import SETTINGS

# Reachable without the API key: the liveness probe, the web UI's static files (the UI then
# sends the key its user gives it on every API call), and the API's description and its
# Swagger UI (the API's shape is no secret; Swagger UI's "Authorize" takes the key for calls).
PUBLIC_PATHS = frozenset({"/health/liveness"})
PUBLIC_GET_PATHS = frozenset({"/ui", "/docs", "/openapi.json"})
PUBLIC_GET_PREFIXES = ("/ui/", "/docs/static/")
BODY_TYPES = frozenset({"application/json", "multipart/form-data"})
# The types a web page may POST cross-site without a CORS preflight (HTML forms, fetch no-cors).
CROSS_SITE_SIMPLE_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CORS_ALLOW_HEADERS = "Authorization, Content-Type, If-Match, Accept, Last-Event-ID"
CORS_EXPOSE_HEADERS = "ETag, Location"
CORS_ORIGIN_KEY: web.RequestKey[str] = web.RequestKey("cors_origin", str)


def host_allowed(host_header: str | None, settings: Settings) -> bool:
    """Is the name in a ``Host`` header one this server answers to?"""
    if host_header is None:  # HTTP/1.0 without Host: no browser sends that
        return True
    allowed = {*LOOPBACK_HOSTS, *(h.lower() for h in settings.allowed_hosts)}
    if "*" in allowed:
        return True
    try:
        name = URL(f"http://{host_header}").host
    except ValueError:
        return False
    return name is not None and name.lower().strip("[]") in allowed


def _same_origin(origin: str, request: web.Request) -> bool:
    try:
        url = URL(origin)
    except ValueError:
        return False
    host = request.headers.get("Host")
    return url.scheme in ("http", "https") and host is not None and url.raw_authority == host


def _cross_origin_allowed(origin: str, settings: Settings) -> bool:
    return "*" in settings.cors_origins or origin.rstrip("/") in settings.cors_origins


def _reject(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"detail": detail}, status=status, headers=headers)


def is_public(method: str, path: str) -> bool:
    """Whether a request needs no API key (also used to describe routes in the OpenAPI doc)."""
    if path in PUBLIC_PATHS:
        return True
    if method.upper() in ("GET", "HEAD"):
        return path in PUBLIC_GET_PATHS or path.startswith(PUBLIC_GET_PREFIXES)
    return False


def _is_public(request: web.Request) -> bool:
    return is_public(request.method, request.path)


def _refused_body_type(request: web.Request) -> bool:
    """A body must be JSON or multipart. A bodyless request is refused only with a type a page
    may send cross-site without a preflight: other types (aiohttp's client labels an empty POST
    ``application/octet-stream``) already need the browser to ask first."""
    if request.body_exists:
        return request.content_type not in BODY_TYPES
    if hdrs.CONTENT_TYPE not in request.headers:
        return False
    return request.content_type in CROSS_SITE_SIMPLE_TYPES


def _key_ok(request: web.Request, key: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), key.encode())


@web.middleware
async def security_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    settings = request.app[SETTINGS]
    host = request.headers.get("Host")
    if not host_allowed(host, settings):
        return _reject(
            403,
            f"host {host!r} is not served here; add its name to LF_ALLOWED_HOSTS "
            "(comma-separated) to allow it",
        )
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin, request):
        if not _cross_origin_allowed(origin, settings):
            return _reject(
                403, f"origin {origin!r} is not allowed; add it to LF_CORS_ORIGINS (comma-separated)"
            )
        request[CORS_ORIGIN_KEY] = origin
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                    "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
                    "Access-Control-Max-Age": "600",
                },
            )
    if request.method in UNSAFE_METHODS and _refused_body_type(request):
        return _reject(
            415,
            f"unsupported Content-Type {request.content_type!r}: send application/json "
            "(file uploads: multipart/form-data)",
        )
    if settings.api_key and not _is_public(request) and not _key_ok(request, settings.api_key):
        return _reject(
            401,
            "missing or wrong API key: this server requires 'Authorization: Bearer <key>' (LF_API_KEY)",
            headers={"WWW-Authenticate": 'Bearer realm="llamafarm"'},
        )
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: CORS headers for an allowed cross-origin request (also on
    errors and streams, which are prepared before a middleware could see them)."""
    origin = request.get(CORS_ORIGIN_KEY)
    if origin is None:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"


def install(app: web.Application) -> None:
    """Put the defences first in the middleware chain (they must see every request)."""
    app.middlewares.insert(0, security_middleware)
    app.on_response_prepare.append(add_cors_headers)
