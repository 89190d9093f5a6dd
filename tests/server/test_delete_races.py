"""Deletes vs. processing (issue 10): deleting a dataset, a project, or dropping a dataset
through PUT while its task is queued or running leaves no chunk behind (RAG never returns
chunks of a deleted dataset), and a re-created project of the same name starts empty."""

from __future__ import annotations

from llamafarm_core.jobs.records import FileStatus
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.settings import Settings
from llamafarm_server.api import run_blocking
from llamafarm_server.routes.tasks import JOBS
from tests.server.test_datasets_api import form, make_project
from tests.server.test_datasets_process import BASE, config, counts

PROJECT = "/v1/projects/acme/docs"
FILES = [("solar.txt", b"Solar panels turn sunlight into electricity with photovoltaic cells.")]


async def queued_task(client, dataset: str) -> str:  # type: ignore[no-untyped-def]
    """A dataset with one file and a processing task queued (no worker runs in-process)."""
    assert (
        await client.post(BASE, json={"name": dataset, "data_processing_strategy": "mixed"})
    ).status == 201
    assert (await client.post(f"{BASE}/{dataset}/data/bulk", data=form("files", FILES))).status == 200
    resp = await client.post(f"{BASE}/{dataset}/process", params={"async_processing": "true"})
    assert resp.status in (200, 202), await resp.text()
    return (await resp.json())["task_id"]  # type: ignore[no-any-return]


async def run_it_anyway(client, task_id: str):  # type: ignore[no-untyped-def]
    """What a worker would do with the task afterwards: run whatever of it is still queued."""
    jobs = client.app[JOBS]
    record = await run_blocking(jobs.store.load, "acme", "docs", task_id)
    return await run_blocking(jobs.wait, record, 120)


async def test_delete_dataset_cancels_its_task_and_leaves_no_chunk(
    client, settings: Settings, registry: Registry
) -> None:  # type: ignore[no-untyped-def]
    await make_project(client, config())
    task_id = await queued_task(client, "doomed")
    assert (await client.delete(f"{BASE}/doomed")).status == 200
    view = await run_it_anyway(client, task_id)
    assert view.state.terminal and [d.status for d in view.details] == [FileStatus.CANCELLED]
    assert counts(settings, registry, "acme", "docs", "main_db") == (0, 0)
    query = await client.post(f"{PROJECT}/rag/query", json={"query": "solar photovoltaic"})
    assert (await query.json())["results"] == []


async def test_dataset_dropped_by_put_is_cleaned_up(client, settings: Settings, registry: Registry) -> None:  # type: ignore[no-untyped-def]
    await make_project(client, config())
    assert (await client.post(BASE, json={"name": "kept", "data_processing_strategy": "mixed"})).status == 201
    task_id = await queued_task(client, "dropped")
    got = await client.get(PROJECT)
    cfg = (await got.json())["project"]["config"]
    cfg["datasets"] = [d for d in cfg["datasets"] if d["name"] != "dropped"]
    put = await client.put(PROJECT, json={"config": cfg}, headers={"If-Match": got.headers["ETag"]})
    assert put.status == 200, await put.text()
    view = await run_it_anyway(client, task_id)
    assert view.state.terminal and [d.status for d in view.details] == [FileStatus.CANCELLED]
    assert counts(settings, registry, "acme", "docs", "main_db") == (0, 0)
    names = [d["name"] for d in (await (await client.get(BASE)).json())["datasets"]]
    assert names == ["kept"]


async def test_deleted_and_recreated_project_starts_empty(
    client, settings: Settings, registry: Registry
) -> None:  # type: ignore[no-untyped-def]
    await make_project(client, config())
    assert (
        await client.post(BASE, json={"name": "first", "data_processing_strategy": "mixed"})
    ).status == 201
    assert (await client.post(f"{BASE}/first/data/bulk", data=form("files", FILES))).status == 200
    assert (await client.post(f"{BASE}/first/process")).status == 200
    assert counts(settings, registry, "acme", "docs", "main_db")[0] > 0
    hits = await client.post(f"{PROJECT}/rag/query", json={"query": "solar photovoltaic"})
    assert (await hits.json())["results"]
    task_id = await queued_task(client, "second")
    assert (await client.delete(PROJECT)).status == 200
    await make_project(client, config())
    assert counts(settings, registry, "acme", "docs", "main_db") == (0, 0)
    query = await client.post(f"{PROJECT}/rag/query", json={"query": "solar photovoltaic"})
    assert query.status == 200 and (await query.json())["results"] == []
    assert (await client.get(f"{PROJECT}/tasks/{task_id}")).status == 404
    assert (await (await client.get(BASE)).json())["datasets"] == []
