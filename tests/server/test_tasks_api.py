"""Tasks API and the jobs health checks through the in-process app (real Redis, no worker:
jobs run inline when waited for)."""

from __future__ import annotations

import asyncio
import dataclasses

import aiohttp

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


async def test_a_summary_poll_has_the_counts_and_only_busy_files_and_failures(client) -> None:  # type: ignore[no-untyped-def]
    await project(client)
    bad = "bad".ljust(64, "0")
    sub = await submit(client, files=[*FILES, bad])
    url = f"/v1/projects/{NS}/{PROJECT}/tasks/{sub.record.task_id}"

    pending = await (await client.get(url, params={"summary": "true"})).json()
    assert pending["state"] == "PENDING"
    assert pending["meta"] == {"current": 0, "total": 6, "files": {}}  # nothing is being processed
    assert pending["result"]["details"] == []

    await asyncio.to_thread(client.app[JOBS].wait, sub.record, 60)
    done = await (await client.get(url, params={"summary": "true"})).json()
    assert done["state"] == "SUCCESS" and done["meta"]["current"] == 6
    assert (done["result"]["processed_files"], done["result"]["failed_files"]) == (5, 1)
    assert [(d["hash"], d["reason"]) for d in done["result"]["details"]] == [(bad, "unsupported file type")]
    full = await (await client.get(url, params={"summary": "false"})).json()
    assert len(full["result"]["details"]) == len(full["meta"]["files"]) == 6

    wrong = await client.get(url, params={"summary": "maybe"})
    assert wrong.status == 400 and "summary" in (await wrong.json())["detail"]


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


# -- the process endpoint runs as jobs ------------------------------------------------------

DATASETS = f"/v1/projects/{NS}/{PROJECT}/datasets"
TEXTS = {
    f"note{i}.txt": f"Note {i}. The lighthouse keeper logged {i} ships passing in the fog." for i in range(3)
}


async def rag_dataset(client, texts: dict[str, str] = TEXTS) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A rag-template project with dataset ``docs`` holding ``texts``; returns name → hash."""
    resp = await client.post(f"/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"})
    assert resp.status == 201
    made = await client.post(
        DATASETS, json={"name": "docs", "data_processing_strategy": "universal_processor"}
    )
    assert made.status == 201, await made.text()
    form = aiohttp.FormData()
    for name, text in texts.items():
        form.add_field("files", text.encode(), filename=name, content_type="text/plain")
    up = await client.post(f"{DATASETS}/docs/data/bulk", data=form)
    assert up.status == 200, await up.text()
    return {f["filename"]: f["hash"] for f in (await up.json())["files"]}


async def test_async_processing_answers_at_once_and_a_sync_request_joins_and_runs_it(client) -> None:  # type: ignore[no-untyped-def]
    hashes = await rag_dataset(client)

    started = await client.post(f"{DATASETS}/docs/process", params={"async_processing": "true"})
    assert started.status == 200
    body = await started.json()
    assert body["message"] == "Dataset processing started asynchronously"
    assert (body["processed_files"], body["skipped_files"], body["failed_files"]) == (0, 0, 0)
    assert (body["strategy"], body["database"]) == ("universal_processor", "main_db")
    assert sorted(d["hash"] for d in body["details"]) == sorted(hashes.values())
    assert {(d["status"], d["filename"]) for d in body["details"]} == {("pending", None)}
    task_url = f"/v1/projects/{NS}/{PROJECT}/tasks/{body['task_id']}"
    # no worker in this app: the task waits…
    assert (await (await client.get(task_url)).json())["state"] == "PENDING"
    again = await (await client.post(f"{DATASETS}/docs/process", params={"async_processing": "true"})).json()
    assert again["task_id"] == body["task_id"]
    assert again["message"] == "Dataset processing already running; this is its task"

    # …until a synchronous request for the same dataset joins it and runs its jobs inline.
    synced = await client.post(f"{DATASETS}/docs/process")
    assert synced.status == 200
    report = await synced.json()
    assert report["task_id"] == body["task_id"]
    assert report["message"] == "Dataset processing completed"
    assert report["processed_files"] == 3
    assert {d["status"] for d in report["details"]} == {"processed"}
    assert all(d["chunks"] >= 1 and d["filename"] in hashes for d in report["details"])

    task = await (await client.get(task_url)).json()
    assert task["state"] == "SUCCESS" and task["result"]["processed_files"] == 3

    # a new request is a new task; everything is already processed
    rerun = await (await client.post(f"{DATASETS}/docs/process")).json()
    assert rerun["task_id"] != body["task_id"] and rerun["skipped_files"] == 3


async def test_process_request_mistakes_are_4xx_before_anything_is_queued(client) -> None:  # type: ignore[no-untyped-def]
    await rag_dataset(client)
    missing = await client.post(f"{DATASETS}/nope/process", params={"async_processing": "true"})
    assert missing.status == 404 and "dataset 'nope' not found" in (await missing.json())["detail"]
    bad = await client.post(f"{DATASETS}/docs/process", params={"async_processing": "maybe"})
    assert bad.status == 400
    assert await asyncio.to_thread(client.app[JOBS].redis.keys, "rq:job:*") == []


async def test_processing_with_redis_unreachable_is_503_and_loses_nothing(
    aiohttp_client, settings, registry
) -> None:  # type: ignore[no-untyped-def]
    from llamafarm_server.app import create_app

    down = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    client = await aiohttp_client(create_app(down, registry))
    hashes = await rag_dataset(client)
    for params in ({}, {"async_processing": "true"}):
        resp = await client.post(f"{DATASETS}/docs/process", params=params)
        assert resp.status == 503
        assert "Redis at redis://127.0.0.1:1/0 is unreachable" in (await resp.json())["detail"]
    listed = await (await client.get(DATASETS)).json()
    details = listed["datasets"][0]["details"]["file_details"]
    assert sorted(d["hash"] for d in details) == sorted(hashes.values())  # uploads kept
    assert not (settings.data_dir / "projects" / NS / PROJECT / "tasks").exists()
