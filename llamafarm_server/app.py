"""The application factory."""

from __future__ import annotations

import importlib

from aiohttp import web

from llamafarm_core import egress
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectStore
from llamafarm_core.settings import Settings
from llamafarm_server import on_loop
from llamafarm_server.api import ENDPOINTS, install_executors
from llamafarm_server.context import HEALTH_CHECKS, PROJECTS, REGISTRY, SETTINGS, NamedCheck
from llamafarm_server.middleware import error_middleware
from llamafarm_server.routes import ROUTE_MODULES
from llamafarm_server.routes.health import storage_check
from llamafarm_server.security import add_cors_headers, security_middleware


def create_app(settings: Settings, registry: Registry | None = None) -> web.Application:
    """Build the app. The registry is built from installed entry points unless given."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    egress.configure(settings.allowed_egress)
    app = web.Application(
        # The security middleware is first: it sees every request, whatever route it is for.
        middlewares=[security_middleware, error_middleware],
        # JSON bodies are capped by settings.max_json_bytes in api.read_json; uploads are
        # streamed to disk with their own limits.
        client_max_size=max(settings.max_json_bytes, settings.max_upload_bytes + 1024 * 1024),
    )
    app.on_response_prepare.append(add_cors_headers)
    install_executors(app)
    on_loop.install(app)
    registry = registry or build_registry(get_plugin_manager())
    app[SETTINGS] = settings
    app[REGISTRY] = registry
    app[PROJECTS] = ProjectStore(settings, registry)
    app[HEALTH_CHECKS] = [NamedCheck("storage", storage_check)]
    app[ENDPOINTS] = []
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"llamafarm_server.routes.{name}")
        if hasattr(module, "setup"):
            module.setup(app)
        module.router.install(app)
    return app
