"""Leniency of the original (FastAPI): an unknown top-level field in a JSON body is ignored,
and the response says so (``Warning`` header, plus ``warnings`` in a JSON object body; an
extra key, which OpenAI clients ignore, in a chat completion)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from llamafarm_server.api import ENDPOINTS, drop_unknown_fields
from llamafarm_server.schemas.projects import CreateProject

EXTRA = {"frobnicate": 1}
NS, NAME = "lenient", "proj"
BASE = f"/v1/projects/{NS}/{NAME}"


async def _project(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(f"/v1/projects/{NS}", json={"name": NAME, "config_template": "rag"})
    assert resp.status == 201, await resp.text()


async def _config(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    await _project(client)
    return dict((await (await client.get(BASE)).json())["project"]["config"])


Setup = Callable[[Any], Awaitable[tuple[str, dict[str, Any]]]]


async def create_project(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return f"/v1/projects/{NS}", {"name": "other", "config_template": "server"}


async def update_project(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return BASE, {"config": await _config(client)}


async def create_dataset(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    await _project(client)
    return f"{BASE}/datasets", {"name": "docs"}


async def rag_query(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    await _project(client)
    return f"{BASE}/rag/query", {"query": "anything"}


async def chat(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    resp = await client.post(f"/v1/projects/{NS}", json={"name": NAME, "config_template": "server"})
    assert resp.status == 201
    return f"{BASE}/chat/completions", {
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 1,
    }


async def import_project(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return "/v1/examples/quick_rag/import-project", {"namespace": NS, "name": "ex", "process": False}


async def import_data(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    await _project(client)
    return "/v1/examples/quick_rag/import-data", {"namespace": NS, "project": NAME, "process": False}


# Every route declaring a JSON body, by (method, path); a new one must be added here.
ROUTES: dict[tuple[str, str], Setup] = {
    ("POST", "/v1/projects/{namespace}"): create_project,
    ("PUT", "/v1/projects/{namespace}/{project}"): update_project,
    ("POST", "/v1/projects/{namespace}/{project}/datasets"): create_dataset,
    ("POST", "/v1/projects/{namespace}/{project}/rag/query"): rag_query,
    ("POST", "/v1/projects/{namespace}/{project}/chat/completions"): chat,
    ("POST", "/v1/examples/{example_id}/import-project"): import_project,
    ("POST", "/v1/examples/{example_id}/import-data"): import_data,
}


async def test_every_json_body_route_is_covered(client) -> None:  # type: ignore[no-untyped-def]
    declared = {
        (ep.method, ep.path)
        for ep in client.app[ENDPOINTS]
        if ep.body is not None and ep.body_content_type == "application/json"
    }
    assert declared == set(ROUTES)


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_an_unknown_field_is_ignored_with_a_warning(client, route) -> None:  # type: ignore[no-untyped-def]
    method, _ = route
    url, body = await ROUTES[route](client)
    resp = await client.request(method, url, json={**body, **EXTRA})
    assert resp.status < 300, await resp.text()
    assert "frobnicate" in resp.headers["Warning"] and resp.headers["Warning"].startswith("299 ")
    data = await resp.json()
    assert "unknown field 'frobnicate' ignored" in data["warnings"]


async def test_without_unknown_fields_there_is_no_warning(client) -> None:  # type: ignore[no-untyped-def]
    url, body = await rag_query(client)
    resp = await client.post(url, json=body)
    assert resp.status == 200 and "Warning" not in resp.headers


async def test_known_fields_are_still_validated(client) -> None:  # type: ignore[no-untyped-def]
    url, _ = await rag_query(client)
    resp = await client.post(url, json={"query": "x", "top_k": "many", **EXTRA})
    assert resp.status == 422
    assert "top_k" in (await resp.json())["detail"]


def test_drop_unknown_fields_keeps_aliases_and_non_objects() -> None:
    kept, dropped = drop_unknown_fields(CreateProject, {"name": "a", "x": 1, "y": 2})
    assert kept == {"name": "a"} and dropped == ["x", "y"]
    assert drop_unknown_fields(CreateProject, [1, 2]) == ([1, 2], [])


async def test_a_streamed_response_carries_the_warning_header(client) -> None:  # type: ignore[no-untyped-def]
    url, body = await chat(client)
    resp = await client.post(url, json={**body, "stream": True, **EXTRA})
    assert resp.status == 200 and resp.content_type == "text/event-stream"
    assert "frobnicate" in resp.headers["Warning"]
    assert "[DONE]" in await resp.text()
