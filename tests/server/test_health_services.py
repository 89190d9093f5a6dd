"""``GET /health`` names the job workers ``celery`` as the spec does, and a server that starts
no workers of its own (``LF_REDIS_URL``) says so instead of staying "degraded"."""

from __future__ import annotations

import requests

from llamafarm_server.app import create_app
from llamafarm_server.routes.tasks import LOCAL_WORKERS
from tests.conftest import ServerProcess
from tests.jobs_fixtures import REPO, emptied


async def test_services_has_the_spec_keys_and_ours(client) -> None:  # type: ignore[no-untyped-def]
    health = await (await client.get("/health")).json()
    assert set(health["services"]) >= {"api", "celery", "redis", "storage", "workers"}
    assert health["services"]["celery"] == health["services"]["workers"] == "degraded"
    assert health["status"] == "degraded"


async def test_no_local_workers_is_healthy_and_explained(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, registry)
    app[LOCAL_WORKERS] = 0
    client = await aiohttp_client(app)
    health = await (await client.get("/health")).json()
    assert health["status"] == "healthy" and health["services"]["celery"] == "healthy"
    assert "starts no workers" in health["details"]["workers"]


def test_serve_with_lf_redis_url_reports_healthy_celery(tmp_path, jobs_redis) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "served"
    data_dir.mkdir()
    env = {"PYTHONPATH": str(REPO), "LF_REDIS_URL": emptied(jobs_redis)}
    server = ServerProcess(data_dir, env=env).wait_ready()
    try:
        health = requests.get(f"{server.url}/health", timeout=10).json()
    finally:
        server.stop()
    assert health["status"] == "healthy", health
    assert health["services"]["celery"] == "healthy" and health["details"]["workers"].startswith("0 alive")
