"""The project as an MCP server: the official SDK's streamable-HTTP client against a real
(in-process aiohttp) server, over the processed quick_rag example."""

from __future__ import annotations

import json

import pytest

NS, NAME = "me", "hb"
MCP_PATH = f"/v1/projects/{NS}/{NAME}/mcp"


@pytest.fixture
async def processed(client):  # type: ignore[no-untyped-def]
    resp = await client.post(
        "/v1/examples/quick_rag/import-project", json={"namespace": NS, "name": NAME, "process": False}
    )
    assert resp.status == 201, await resp.text()
    done = await client.post(f"/v1/projects/{NS}/{NAME}/datasets/handbook/process", json={})
    assert done.status == 200, await done.text()
    return client


def _text(result) -> str:  # type: ignore[no-untyped-def]
    assert not result.is_error, result.content
    return str(result.content[0].text)


async def test_the_sdk_client_lists_tools_and_searches(processed) -> None:  # type: ignore[no-untyped-def]
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    url = str(processed.make_url(MCP_PATH))
    async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) >= {"search", "list_datasets", "list_documents", "ask"}
        assert "query" in tools["search"].input_schema["required"]

        found = json.loads(
            _text(await session.call_tool("search", {"query": "How many days of annual leave?", "top_k": 3}))
        )
        assert found["results"] and found["results"][0]["source"] == "leave_policy.md"

        datasets = json.loads(_text(await session.call_tool("list_datasets", {})))
        [handbook] = datasets["datasets"]
        assert handbook["name"] == "handbook" and {f["status"] for f in handbook["files"]} == {"processed"}

        documents = json.loads(_text(await session.call_tool("list_documents", {})))
        assert sorted(d["filename"] for d in documents["documents"]) == [
            "equipment.csv",
            "leave_policy.md",
            "office_guide.txt",
            "travel.html",
        ]

        resources = (await session.list_resources()).resources
        policy = next(r for r in resources if r.name == "handbook/leave_policy.md")
        read = await session.read_resource(policy.uri)
        assert "leave" in read.contents[0].text.lower()

        answered = json.loads(
            _text(
                await session.call_tool(
                    "ask", {"question": "How many days of annual leave?", "max_tokens": 12}
                )
            )
        )
        assert answered["answer"].strip()
        assert "leave_policy.md" in [s["filename"] for s in answered["sources"]]

        bad = await session.call_tool("list_documents", {"database": "nope"})
        assert bad.is_error and "nope" in bad.content[0].text


async def test_unknown_project_is_a_404(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post("/v1/projects/me/none/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert resp.status == 404 and "detail" in await resp.json()


async def test_stateless_endpoint_refuses_get_and_delete_and_bad_json_rpc(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.post(f"/v1/projects/{NS}", json={"name": NAME})).status == 201
    for method in ("GET", "DELETE"):
        resp = await client.request(method, MCP_PATH, headers={"Accept": "text/event-stream"})
        assert resp.status == 405 and resp.headers["Allow"] == "POST"
        assert "stateless" in (await resp.json())["detail"]
    headers = {"Accept": "application/json, text/event-stream"}
    bad = await client.post(MCP_PATH, data=b"{nope", headers={**headers, "Content-Type": "application/json"})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == -32700


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", "2025-11-25"])
async def test_clients_of_earlier_protocol_versions_call_tools(client, version: str) -> None:  # type: ignore[no-untyped-def]
    assert (await client.post(f"/v1/projects/{NS}", json={"name": NAME})).status == 201
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "list_datasets", "arguments": {}},
    }
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": version}
    resp = await client.post(MCP_PATH, json=call, headers=headers)
    assert resp.status == 200, await resp.text()
    result = (await resp.json())["result"]
    assert not result["isError"] and json.loads(result["content"][0]["text"]) == {"datasets": []}


async def test_behind_the_api_key(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from llamafarm_server.app import create_app

    client = await aiohttp_client(create_app(dataclasses.replace(settings, api_key="k3y"), registry))
    headers = {"Authorization": "Bearer k3y"}
    created = await client.post(f"/v1/projects/{NS}", json={"name": NAME}, headers=headers)
    assert created.status == 201
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    refused = await client.post(MCP_PATH, json=ping)
    assert refused.status == 401

    url = str(client.make_url(MCP_PATH))
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        datasets = json.loads(_text(await session.call_tool("list_datasets", {})))
        assert datasets == {"datasets": []}
