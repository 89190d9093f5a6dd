"""Acceptance, over HTTP with real processes and the real pipeline (bundled embedder, Chroma):
`serve` from scratch processes asynchronously; two `llamafarm worker` processes share a
queue of 50 files and process each exactly once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from llamafarm_core.databases import open_database
from llamafarm_core.jobs.redis_server import EmbeddedRedis
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings
from tests.conftest import ServerProcess
from tests.jobs_fixtures import WorkerProcess, wait_until

pytestmark = pytest.mark.slow
NS, PROJECT = "acme", "library"


def dataset_with(url: str, texts: dict[str, str]) -> dict[str, str]:
    """A rag-template project with dataset ``docs`` holding ``texts``; name → hash."""
    requests.post(
        f"{url}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}
    ).raise_for_status()
    base = f"{url}/v1/projects/{NS}/{PROJECT}/datasets"
    requests.post(
        base, json={"name": "docs", "data_processing_strategy": "universal_processor"}
    ).raise_for_status()
    files = [("files", (name, text.encode(), "text/plain")) for name, text in texts.items()]
    up = requests.post(f"{base}/docs/data/bulk", files=files, timeout=120)
    up.raise_for_status()
    return {f["filename"]: f["hash"] for f in up.json()["files"]}


def poll(url: str, task_id: str, timeout: float) -> dict:
    seen: list[str] = []

    def ended() -> dict | None:
        task = requests.get(f"{url}/v1/projects/{NS}/{PROJECT}/tasks/{task_id}", timeout=10).json()
        seen.append(task["state"])
        return task if task["state"] in ("SUCCESS", "FAILURE") else None

    task = wait_until(ended, timeout, interval=0.5, what=f"task {task_id} ending")
    task["seen"] = seen
    return task


def chunks_in_store(data_dir: Path, registry: Registry) -> int:
    settings = Settings(data_dir=data_dir)
    project = ProjectStore(settings, registry).get(ProjectRef(NS, PROJECT))
    return open_database(registry, project, None).info().chunk_count


def file_details(url: str) -> dict[str, dict]:
    listed = requests.get(f"{url}/v1/projects/{NS}/{PROJECT}/datasets", timeout=10).json()
    return {d["hash"]: d for d in listed["datasets"][0]["details"]["file_details"]}


def test_serve_from_scratch_processes_asynchronously(tmp_path: Path, registry: Registry) -> None:
    server = ServerProcess(tmp_path / "fresh")  # no data dir yet: serve creates everything
    try:
        server.wait_ready()
        texts = {
            f"ship{i}.txt": f"Ship {i} sailed past the lighthouse at dawn carrying {i} crates."
            for i in range(4)
        }
        hashes = dataset_with(server.url, texts)

        resp = requests.post(
            f"{server.url}/v1/projects/{NS}/{PROJECT}/datasets/docs/process",
            params={"async_processing": "true"},
            timeout=10,
        )
        assert resp.status_code == 200
        body = resp.json()
        assert body["message"] == "Dataset processing started asynchronously" and body["task_id"]
        assert {d["status"] for d in body["details"]} == {"pending"}

        task = poll(server.url, body["task_id"], 240)
        assert task["state"] == "SUCCESS", task
        assert task["meta"]["current"] == task["meta"]["total"] == 4
        assert set(task["meta"]["files"].values()) == {"processed"}
        assert task["result"]["processed_files"] == 4
        details = file_details(server.url)
        assert all(details[h]["processed"] and details[h]["chunks"] >= 1 for h in hashes.values())

        health = requests.get(f"{server.url}/health").json()
        assert health["services"]["redis"] == "healthy" and health["details"]["workers"] == "1 alive"
    finally:
        server.stop()


def test_two_workers_share_fifty_files_each_processed_exactly_once(
    tmp_path: Path, own_redis: EmbeddedRedis, registry: Registry
) -> None:
    data_dir = tmp_path / "common-data"
    data_dir.mkdir()
    env = {"LF_REDIS_URL": own_redis.url, "LF_JOB_BATCH_FILES": "5"}
    server = ServerProcess(data_dir, ["--workers", "0"], env=env).wait_ready()
    workers = [WorkerProcess(data_dir, own_redis.url) for _ in range(2)]
    try:
        wait_until(
            lambda: requests.get(f"{server.url}/health").json()["details"]["workers"] == "2 alive",
            60,
            what="two workers alive",
        )
        texts = {
            f"log{i:02d}.txt": f"Entry {i}: the {['north', 'south', 'east', 'west'][i % 4]} gate opened "
            f"{i} times.\n\nA second paragraph about entry {i} and its {i * 7} visitors."
            for i in range(50)
        }
        hashes = dataset_with(server.url, texts)
        started = time.monotonic()
        body = requests.post(
            f"{server.url}/v1/projects/{NS}/{PROJECT}/datasets/docs/process",
            params={"async_processing": "true"},
            timeout=10,
        ).json()
        task = poll(server.url, body["task_id"], 300)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
        for w in workers:
            w.stop()

    assert task["state"] == "SUCCESS", task
    result = task["result"]
    assert (result["processed_files"], result["skipped_files"], result["failed_files"]) == (50, 0, 0)
    per_file = {d["hash"]: d["chunks"] for d in result["details"]}
    assert set(per_file) == set(hashes.values()) and min(per_file.values()) >= 1
    # exactly once: no file's chunks twice in the store, and every job ran once
    assert chunks_in_store(data_dir, registry) == sum(per_file.values())
    jobs_done = [w.log(tail=None).count("Job OK") for w in workers]
    assert sum(jobs_done) == 10 and all(n > 0 for n in jobs_done), (jobs_done, elapsed)


def test_a_worker_killed_mid_file_leaves_nothing_half_written(
    tmp_path: Path, own_redis: EmbeddedRedis, registry: Registry
) -> None:
    data_dir = tmp_path / "common-data"
    data_dir.mkdir()
    server = ServerProcess(data_dir, ["--workers", "0"], env={"LF_REDIS_URL": own_redis.url}).wait_ready()
    victim = WorkerProcess(data_dir, own_redis.url)
    survivor: WorkerProcess | None = None
    try:
        big = "\n\n".join(  # ~10 s of work for one worker: still running when it is killed
            f"Paragraph {i}: the keeper noted wind {i % 13} and {i} gulls." for i in range(10000)
        )
        hashes = dataset_with(server.url, {"big.txt": big, "small.txt": "A short note about the tide."})
        body = requests.post(
            f"{server.url}/v1/projects/{NS}/{PROJECT}/datasets/docs/process",
            params={"async_processing": "true"},
            timeout=10,
        ).json()
        task_url = f"{server.url}/v1/projects/{NS}/{PROJECT}/tasks/{body['task_id']}"
        wait_until(lambda: requests.get(task_url).json()["state"] == "STARTED", 120, what="STARTED")
        time.sleep(2)  # parsing, extracting, embedding the paragraphs
        victim.kill()
        assert requests.get(task_url).json()["state"] == "STARTED"
        survivor = WorkerProcess(data_dir, own_redis.url)
        task = poll(server.url, body["task_id"], 180)
    finally:
        server.stop()
        victim.stop()
        if survivor is not None:
            survivor.stop()

    assert "Job OK" not in victim.log(tail=None)  # it really died mid-job
    assert survivor.log(tail=None).count("Job OK") == 1
    assert task["state"] == "SUCCESS", task
    per_file = {d["hash"]: d["chunks"] for d in task["result"]["details"]}
    assert set(per_file) == set(hashes.values()) and per_file[hashes["big.txt"]] > 100
    assert {d["status"] for d in task["result"]["details"]} == {"processed"}
    assert chunks_in_store(data_dir, registry) == sum(per_file.values())  # no half, no duplicate
