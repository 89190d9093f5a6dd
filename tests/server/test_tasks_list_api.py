"""``GET /v1/projects/{ns}/{project}/tasks``: a project's newest tasks (in-process app, real Redis)."""

from __future__ import annotations

import asyncio

from llamafarm_server.routes.tasks import JOBS
from tests.jobs_fixtures import ECHO

NS, PROJECT = "acme", "bot"


async def test_tasks_are_listed_newest_first_with_their_counts(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.post(f"/v1/projects/{NS}", json={"name": PROJECT})).status == 201
    url = f"/v1/projects/{NS}/{PROJECT}/tasks"
    assert await (await client.get(url)).json() == {"tasks": [], "total": 0}

    jobs = client.app[JOBS]
    first = await asyncio.to_thread(jobs.submit, NS, PROJECT, "docs", [f"{1:064x}", f"{2:064x}"], ECHO)
    await asyncio.to_thread(jobs.wait, first.record, 60)
    second = await asyncio.to_thread(jobs.submit, NS, PROJECT, "other", [f"{3:064x}"], ECHO)

    listed = await (await client.get(url)).json()
    assert [t["task_id"] for t in listed["tasks"]] == [second.record.task_id, first.record.task_id]
    newest, oldest = listed["tasks"]
    assert (newest["dataset"], newest["state"], newest["total"], newest["current"]) == (
        "other",
        "PENDING",
        1,
        0,
    )
    assert (oldest["state"], oldest["processed_files"], oldest["current"], oldest["total"]) == (
        "SUCCESS",
        2,
        2,
        2,
    )

    one = await (await client.get(url, params={"limit": "1"})).json()
    assert [t["task_id"] for t in one["tasks"]] == [second.record.task_id]
    bad = await client.get(url, params={"limit": "0"})
    assert bad.status in (400, 422) and "limit" in (await bad.json())["detail"]
    assert (await client.get(f"/v1/projects/{NS}/nobody/tasks")).status == 404
