"""Tasks API and the jobs health checks through the in-process app (real Redis, no worker:
jobs run inline when waited for)."""

from __future__ import annotations

import asyncio
import dataclasses

from llamafarm_server.routes.tasks import JOBS
from tests.jobs_fixtures import ECHO, SLOW

NS, PROJECT = "acme", "bot"
FILES = [f"{i:064x}" for i in range(5)]


async def project(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(f"/v1/projects/{NS}", json={"name": PROJECT, "config_template": "server"})
    assert resp.status == 201


async def submit(client, function: str = ECHO, files: list[str] = FILES):  # type: ignore[no-untyped-def]
    return await asyncio.to_thread(client.app[JOBS].submit, NS, PROJECT, "docs", files, function)


async def test_a_task_goes_from_pending_to_success_with_per_file_status(client) -> None:  # type: ignore[no-untyped-def]
    await project(client)
    sub = await submit(client)
    url = f"/v1/projects/{NS}/{PROJECT}/tasks/{sub.record.task_id}"

    pending = await (await client.get(url)).json()
    assert pending["state"] == "PENDING"
    assert pending["meta"] == {"current": 0, "total": 5, "files": dict.fromkeys(FILES, "pending")}
    assert pending["error"] is None and pending["traceback"] is None

    await asyncio.to_thread(client.app[JOBS].wait, sub.record, 60)
    done = await (await client.get(url)).json()
    assert done["task_id"] == sub.record.task_id
    assert done["state"] == "SUCCESS"
    assert done["meta"]["current"] == done["meta"]["total"] == 5
    result = done["result"]
    assert (result["processed_files"], result["skipped_files"], result["failed_files"]) == (5, 0, 0)
    assert [d["hash"] for d in result["details"]] == FILES
    assert {d["status"] for d in result["details"]} == {"processed"}


async def test_unknown_malformed_and_foreign_task_ids_are_404(client) -> None:  # type: ignore[no-untyped-def]
    await project(client)
    for task_id in ("0b1c1f70-8a66-4e8e-9f57-0c0f0b0b0b0b", "not-a-task", "%2e%2e"):
        resp = await client.get(f"/v1/projects/{NS}/{PROJECT}/tasks/{task_id}")
        assert resp.status == 404
        assert "not found" in (await resp.json())["detail"]
    sub = await submit(client)
    other = await client.get(f"/v1/projects/{NS}/nobody/tasks/{sub.record.task_id}")
    assert other.status == 404
    assert (await client.delete(f"/v1/projects/{NS}/{PROJECT}/tasks/not-a-task")).status == 404


async def test_delete_cancels_what_has_not_run(client, data_dir) -> None:  # type: ignore[no-untyped-def]
    await project(client)
    (data_dir / "sleep").write_text("0")
    sub = await submit(client, SLOW)
    url = f"/v1/projects/{NS}/{PROJECT}/tasks/{sub.record.task_id}"

    resp = await client.delete(url)
    assert resp.status == 200
    body = await resp.json()
    assert sorted(body["cancelled_files"]) == sorted(FILES)
    assert body["done_files"] == [] and body["running_files"] == []
    assert body["state"] == "FAILURE" and body["message"] == "cancelled 5 of 5 files"

    shown = await (await client.get(url)).json()
    assert shown["state"] == "FAILURE" and "task cancelled" in shown["error"]
    assert set(shown["meta"]["files"].values()) == {"cancelled"}
    again = await (await client.delete(url)).json()
    assert again["message"] == "the task had already finished; nothing to cancel"


async def test_health_reports_redis_and_workers(client) -> None:  # type: ignore[no-untyped-def]
    health = await (await client.get("/health")).json()
    assert health["services"]["redis"] == "healthy"
    assert health["services"]["workers"] == "degraded"  # no worker process here
    assert health["details"]["workers"].startswith("0 alive")


async def test_redis_unreachable_is_503_and_the_api_stays_up(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    from llamafarm_core.jobs.service import JobService
    from llamafarm_server.app import create_app

    submitted = await asyncio.to_thread(
        JobService(settings, registry).submit, NS, PROJECT, "docs", FILES, ECHO
    )
    down = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    client = await aiohttp_client(create_app(down, registry))
    await project(client)

    resp = await client.get(f"/v1/projects/{NS}/{PROJECT}/tasks/{submitted.record.task_id}")
    assert resp.status == 503
    assert "Redis at redis://127.0.0.1:1/0 is unreachable" in (await resp.json())["detail"]
    missing = await client.get(f"/v1/projects/{NS}/{PROJECT}/tasks/0b1c1f70-8a66-4e8e-9f57-0c0f0b0b0b0b")
    assert missing.status == 404  # no record: answered without Redis

    body = await (await client.get("/health")).json()
    assert body["services"]["redis"] == "unhealthy" and "127.0.0.1:1" in body["details"]["redis"]
    assert body["services"]["workers"] == "unhealthy"
    assert body["status"] == "unhealthy"
    assert (await client.get("/health/liveness")).status == 200
    assert (await client.get(f"/v1/projects/{NS}/{PROJECT}")).status == 200
