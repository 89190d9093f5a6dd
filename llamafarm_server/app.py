"""The application factory."""

from __future__ import annotations

import importlib

from aiohttp import web

from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectStore
from llamafarm_core.settings import Settings
from llamafarm_server.api import ENDPOINTS
from llamafarm_server.context import HEALTH_CHECKS, PROJECTS, REGISTRY, SETTINGS, NamedCheck
from llamafarm_server.middleware import error_middleware
from llamafarm_server.routes import ROUTE_MODULES
from llamafarm_server.routes.health import storage_check

# Uploads are streamed to disk with their own limit; this caps JSON bodies.
MAX_JSON_BODY = 16 * 1024 * 1024


def create_app(settings: Settings, registry: Registry | None = None) -> web.Application:
    """Build the app. The registry is built from installed entry points unless given."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = web.Application(
        middlewares=[error_middleware],
        client_max_size=max(MAX_JSON_BODY, settings.max_upload_bytes + 1024 * 1024),
    )
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
