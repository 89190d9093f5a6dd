"""Isolation between projects (issue 10): whatever ids a request crafts, one project never
reads or deletes another's files, chunks, sessions or tasks, and no path climbs out."""

from __future__ import annotations

from urllib.parse import quote

from llamafarm_core.llm.types import ChatMessage, Role
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef
from llamafarm_core.settings import Settings
from llamafarm_server.context import PROJECTS
from llamafarm_server.routes.chat import SESSIONS
from tests.server.test_datasets_api import form
from tests.server.test_datasets_process import config, counts

SECRET_TEXT = b"Project A's confidential note: the launch code is aurora-borealis-42."
A = "/v1/projects/acme/alpha"
B = "/v1/projects/acme/beta"


async def two_projects(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A with a processed file, a task and a session; B empty. Returns A's ids."""
    for name in ("alpha", "beta"):
        assert (await client.post("/v1/projects/acme", json={"name": name})).status == 201
        cfg = {**config(), "name": name}
        assert (await client.put(f"/v1/projects/acme/{name}", json={"config": cfg})).status == 200
        body = {"name": "docs", "data_processing_strategy": "mixed"}
        assert (await client.post(f"/v1/projects/acme/{name}/datasets", json=body)).status == 201
    up = await client.post(f"{A}/datasets/docs/data/bulk", data=form("files", [("note.txt", SECRET_TEXT)]))
    file_hash = (await up.json())["files"][0]["hash"]
    processed = await client.post(f"{A}/datasets/docs/process", params={"async_processing": "true"})
    task_id = (await processed.json())["task_id"]
    await client.post(f"{A}/datasets/docs/process")  # joins the task and waits for it
    project_a = client.app["projects"] if False else None  # noqa: F841  (kept simple below)
    store = client.app[SESSIONS]

    path_a = client.app[PROJECTS].get(ProjectRef("acme", "alpha")).path
    store.append(path_a, "shared-id", [ChatMessage(Role.USER, "alpha's private question")])
    return {"hash": file_hash, "task": task_id, "session": "shared-id"}


async def test_ids_of_one_project_mean_nothing_in_another(
    client, settings: Settings, registry: Registry
) -> None:  # type: ignore[no-untyped-def]
    ids = await two_projects(client)
    assert counts(settings, registry, "acme", "alpha", "main_db")[0] > 0
    # files: B cannot remove or see A's file by its hash
    gone = await client.delete(f"{B}/datasets/docs/data/{ids['hash']}")
    assert gone.status == 404
    listed = await (await client.get(f"{B}/datasets")).json()
    assert listed["datasets"][0]["files"] == []
    # chunks: B's queries and documents never show A's
    for strategy in ("basic", "bm25"):
        hits = await client.post(
            f"{B}/rag/query", json={"query": "launch code aurora", "retrieval_strategy": strategy}
        )
        assert SECRET_TEXT.decode()[:20] not in await hits.text()
    docs = await client.get(f"{B}/rag/databases/main_db/documents")
    assert ids["hash"] not in await docs.text()
    # tasks: A's task id under B is unknown
    assert (await client.get(f"{B}/tasks/{ids['task']}")).status == 404
    assert (await client.delete(f"{B}/tasks/{ids['task']}")).status == 404
    # sessions: the same session id under B is B's (empty), never A's
    history = await client.get(f"{B}/chat/sessions/{ids['session']}/history")
    assert history.status == 404 or "alpha's private" not in await history.text()
    assert (await client.delete(f"{B}/chat/sessions/{ids['session']}")).status in (200, 204, 404)
    a_history = await client.get(f"{A}/chat/sessions/{ids['session']}/history")
    assert a_history.status == 200 and "alpha's private" in await a_history.text()
    # A still has everything
    assert counts(settings, registry, "acme", "alpha", "main_db")[0] > 0


CRAFTED = ["..", "../alpha", "..%2Falpha", "%2e%2e", "beta%2F..%2Falpha", ".alpha", "alpha%00", "a" * 65]


async def test_crafted_names_do_not_reach_another_project(client) -> None:  # type: ignore[no-untyped-def]
    ids = await two_projects(client)
    for crafted in CRAFTED:
        urls = [
            f"/v1/projects/acme/{crafted}/datasets",
            f"/v1/projects/{crafted}/alpha/datasets",
            f"{B}/datasets/{crafted}/data/{ids['hash']}",
            f"{B}/rag/databases/{crafted}/documents",
            f"{B}/chat/sessions/{quote('../../alpha/sessions/' + ids['session'], safe='')}/history",
            f"{B}/chat/sessions/{crafted}/history",
            f"{B}/tasks/{crafted}",
        ]
        for url in urls:
            for method in ("GET", "DELETE"):
                resp = await client.request(method, url)
                text = await resp.text()
                # the client may normalise "..": whatever route it reaches, nothing of A shows
                assert resp.status < 500, (method, url, resp.status, text)
                assert "confidential" not in text and "alpha's private" not in text, (method, url)
                assert ids["hash"] not in text or resp.status >= 400, (method, url, text)
    listed = await (await client.get(f"{A}/datasets")).json()
    assert listed["datasets"][0]["files"], "A's file must survive every crafted request"
