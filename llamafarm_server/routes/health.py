"""``GET /health`` (real checks, overall = worst) and ``GET /health/liveness``."""

from __future__ import annotations

import asyncio
import os

from aiohttp import web

from llamafarm_core.health import HealthStatus
from llamafarm_server.api import Router
from llamafarm_server.context import HEALTH_CHECKS, SETTINGS, NamedCheck
from llamafarm_server.schemas.system import Health, Liveness

router = Router("Health")
CHECK_TIMEOUT_S = 3.0
# The spec's service names for our checks ("celery": the original's job workers).
SPEC_NAMES = {"celery": "workers"}


async def _run(app: web.Application, check: NamedCheck) -> tuple[HealthStatus, str]:
    try:
        return await asyncio.wait_for(check.check(app), CHECK_TIMEOUT_S)
    except TimeoutError:
        return HealthStatus.UNHEALTHY, f"no answer within {CHECK_TIMEOUT_S:g}s"
    except Exception as err:
        return HealthStatus.UNHEALTHY, f"{type(err).__name__}: {err}"


@router.get("/health", response=Health)
async def health(request: web.Request) -> Health:
    """Overall health: every service's status; the overall status is the worst of them."""
    checks = request.app[HEALTH_CHECKS]
    results = await asyncio.gather(*(_run(request.app, c) for c in checks))
    services = {"api": HealthStatus.HEALTHY} | {c.name: r[0] for c, r in zip(checks, results, strict=True)}
    details = {c.name: r[1] for c, r in zip(checks, results, strict=True) if r[1]}
    for spec_name, ours in SPEC_NAMES.items():
        if ours in services:
            services[spec_name] = services[ours]
    return Health(status=HealthStatus.worst(services.values()), services=services, details=details)


@router.get("/health/liveness", response=Liveness)
async def liveness(request: web.Request) -> Liveness:
    """Liveness probe."""
    return Liveness()


async def storage_check(app: web.Application) -> tuple[HealthStatus, str]:
    """The data directory exists and is writable."""
    data_dir = app[SETTINGS].data_dir
    if data_dir.is_dir() and os.access(data_dir, os.W_OK):
        return HealthStatus.HEALTHY, ""
    return HealthStatus.UNHEALTHY, f"data directory {data_dir} is missing or not writable"
