"""Examples API: the catalog, importing as a project or into one, processing the imports."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import ServerProcess


async def test_list_has_the_reference_shape(client) -> None:  # type: ignore[no-untyped-def]
    body = await (await client.get("/v1/examples")).json()
    quick = next(e for e in body["examples"] if e["id"] == "quick_rag")
    assert quick["dataset_count"] == 1
    assert quick["data_size_bytes"] > 1000 and quick["data_size_human"].endswith("KB")
    assert set(quick) >= {
        "slug",
        "title",
        "description",
        "primaryModel",
        "tags",
        "project_size_bytes",
        "updated_at",
    }


async def test_import_project_without_processing(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(
        "/v1/examples/quick_rag/import-project", json={"namespace": "me", "name": "hb", "process": False}
    )
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body == {"project": "hb", "namespace": "me", "datasets": ["handbook"], "task_ids": [], "files": 4}
    datasets = await (await client.get("/v1/projects/me/hb/datasets")).json()
    names = sorted(f["original_filename"] for f in datasets["datasets"][0]["details"]["file_details"])
    assert names == ["equipment.csv", "leave_policy.md", "office_guide.txt", "travel.html"]

    again = await client.post(
        "/v1/examples/quick_rag/import-project", json={"namespace": "me", "name": "hb", "process": False}
    )
    assert again.status == 409


async def test_import_data_into_an_existing_project(client) -> None:  # type: ignore[no-untyped-def]
    await client.post("/v1/projects/me", json={"name": "plain", "config_template": "server"})
    without = await client.post(
        "/v1/examples/quick_rag/import-data",
        json={"namespace": "me", "project": "plain", "include_strategies": False, "process": False},
    )
    assert without.status == 400
    assert "handbook" in (await without.json())["detail"]

    body = {"namespace": "me", "project": "plain", "include_strategies": True, "process": False}
    resp = await client.post("/v1/examples/quick_rag/import-data", json=body)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["datasets"] == ["handbook"]
    config = (await (await client.get("/v1/projects/me/plain")).json())["project"]["config"]
    assert [d["name"] for d in config["rag"]["databases"]] == ["main_db"]
    assert config["runtime"]["models"][0]["name"] == "default"  # the project's own runtime is kept

    # Importing the same data again reuses the dataset; nothing is duplicated.
    again = await client.post("/v1/examples/quick_rag/import-data", json=body)
    assert again.status == 200
    datasets = await (await client.get("/v1/projects/me/plain/datasets")).json()
    assert len(datasets["datasets"][0]["files"]) == 4


@pytest.mark.parametrize(
    ("url", "body", "status"),
    [
        ("/v1/examples/nope/import-project", {"namespace": "me", "name": "x"}, 404),
        ("/v1/examples/quick_rag/import-project", {"namespace": "me", "name": "../x"}, 400),
        ("/v1/examples/quick_rag/import-project", {"namespace": "me"}, 422),
        ("/v1/examples/quick_rag/import-data", {"namespace": "me", "project": "ghost"}, 404),
    ],
)
async def test_bad_imports_are_4xx_json(client, url: str, body: dict, status: int) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(url, json=body)
    assert resp.status == status
    assert (await resp.json())["detail"]


@pytest.mark.slow
def test_imported_example_is_processed_and_queryable(server_process: ServerProcess) -> None:
    url = server_process.url
    resp = requests.post(
        f"{url}/v1/examples/quick_rag/import-project", json={"namespace": "me", "name": "hb"}, timeout=60
    )
    assert resp.status_code == 201, resp.text
    [task_id] = resp.json()["task_ids"]
    deadline = time.monotonic() + 240
    state = None
    while time.monotonic() < deadline:
        task = requests.get(f"{url}/v1/projects/me/hb/tasks/{task_id}", timeout=30).json()
        state = task["state"]
        if state in {"SUCCESS", "FAILURE"}:
            break
        time.sleep(1)
    assert state == "SUCCESS", task
    assert task["result"]["processed_files"] == 4
    hits = requests.post(
        f"{url}/v1/projects/me/hb/rag/query",
        json={"query": "How many days of paid annual leave?", "top_k": 3},
        timeout=120,
    ).json()
    assert "27 days" in hits["results"][0]["content"]
