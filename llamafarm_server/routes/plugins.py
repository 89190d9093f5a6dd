"""``GET /v1/plugins``: every registered component, its aliases, package and config schema."""

from __future__ import annotations

from aiohttp import web

from llamafarm_core.components.kinds import PluginKind
from llamafarm_server.api import Router
from llamafarm_server.context import REGISTRY
from llamafarm_server.schemas.system import PluginDescription, PluginList

router = Router("Plugins")


@router.get("/v1/plugins", response=PluginList)
async def list_plugins(request: web.Request) -> PluginList:
    """List plugin kinds and every component registered for each."""
    registry = request.app[REGISTRY]
    return PluginList(
        kinds=[k.value for k in PluginKind],
        plugins=[PluginDescription(**p.describe()) for p in registry.plugins()],
    )
