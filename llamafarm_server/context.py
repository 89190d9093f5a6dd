"""What the app shares between routes, as typed aiohttp app keys (no god object)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from llamafarm_core.health import HealthStatus
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings

# A health check returns its status and a one-line detail.
HealthCheck = Callable[[web.Application], Awaitable[tuple[HealthStatus, str]]]


@dataclass
class NamedCheck:
    name: str
    check: HealthCheck


SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
REGISTRY: web.AppKey[Registry] = web.AppKey("registry", Registry)
PROJECTS: web.AppKey[ProjectStore] = web.AppKey("projects", ProjectStore)
HEALTH_CHECKS: web.AppKey[list[NamedCheck]] = web.AppKey("health_checks", list)


def project_ref(request: web.Request) -> ProjectRef:
    """The (namespace, project) of the URL, validated before it touches a path."""
    return ProjectRef(request.match_info["namespace"], request.match_info["project"])
