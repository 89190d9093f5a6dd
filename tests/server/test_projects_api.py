"""Projects API through the in-process app: shapes of the reference, and every bad input is 4xx JSON."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from tests.conftest import COMPAT_CONFIGS


async def create(client, ns: str = "acme", name: str = "bot", template: str | None = "server"):  # type: ignore[no-untyped-def]
    return await client.post(f"/v1/projects/{ns}", json={"name": name, "config_template": template})


async def test_create_list_get_put_delete(client) -> None:  # type: ignore[no-untyped-def]
    resp = await create(client)
    assert resp.status == 201
    body = await resp.json()
    assert body["project"]["namespace"] == "acme" and body["project"]["name"] == "bot"
    assert body["project"]["config"]["runtime"]["models"][0]["provider"] == "llamacpp"

    listed = await (await client.get("/v1/projects/acme")).json()
    assert listed["total"] == 1 and listed["projects"][0]["name"] == "bot"

    got = await (await client.get("/v1/projects/acme/bot")).json()
    config = got["project"]["config"]
    config["prompts"] = [{"name": "terse", "messages": [{"role": "system", "content": "Be terse."}]}]
    put = await client.put("/v1/projects/acme/bot", json={"config": config})
    assert put.status == 200
    assert (await put.json())["project"]["config"]["prompts"][0]["name"] == "terse"

    deleted = await client.delete("/v1/projects/acme/bot")
    assert deleted.status == 200
    assert (await deleted.json())["project"]["config"]["prompts"][0]["name"] == "terse"
    assert (await client.get("/v1/projects/acme/bot")).status == 404
    assert (await (await client.get("/v1/projects/acme")).json())["total"] == 0


async def test_rag_template_and_duplicate_is_409(client) -> None:  # type: ignore[no-untyped-def]
    resp = await create(client, template="rag")
    assert resp.status == 201
    config = (await resp.json())["project"]["config"]
    assert config["rag"]["databases"][0]["type"] == "ChromaStore"
    again = await create(client, template="rag")
    assert again.status == 409
    assert "already exists" in (await again.json())["detail"]


async def test_unknown_template_is_400_naming_known(client) -> None:  # type: ignore[no-untyped-def]
    resp = await create(client, template="nope")
    assert resp.status == 400
    assert "server, rag" in (await resp.json())["detail"]


@pytest.mark.parametrize("path", COMPAT_CONFIGS, ids=lambda p: p.name)
async def test_compat_configs_put_and_get_round_trip(client, path) -> None:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(path.read_text())
    await create(client, ns=raw["namespace"], name=raw["name"])
    put = await client.put(f"/v1/projects/{raw['namespace']}/{raw['name']}", json={"config": raw})
    assert put.status == 200, await put.text()
    got = await (await client.get(f"/v1/projects/{raw['namespace']}/{raw['name']}")).json()
    assert got["project"]["config"] == raw


async def test_invalid_put_is_422_with_path_and_keeps_the_file(client) -> None:  # type: ignore[no-untyped-def]
    await create(client)
    before = await (await client.get("/v1/projects/acme/bot")).json()
    bad = dict(before["project"]["config"])
    bad["rag"] = {"databases": [{"name": "Main-DB", "type": "ChromaStore"}]}
    resp = await client.put("/v1/projects/acme/bot", json={"config": bad})
    assert resp.status == 422
    assert "rag.databases[0].name: must match ^[a-z][a-z0-9_]*$" in (await resp.json())["detail"]
    after = await (await client.get("/v1/projects/acme/bot")).json()
    assert after == before


async def test_put_sets_name_and_namespace_from_the_path(client) -> None:  # type: ignore[no-untyped-def]
    await create(client)
    config = (await (await client.get("/v1/projects/acme/bot")).json())["project"]["config"]
    config.update(name="other", namespace="elsewhere")
    body = await (await client.put("/v1/projects/acme/bot", json={"config": config})).json()
    assert (body["project"]["config"]["name"], body["project"]["config"]["namespace"]) == ("bot", "acme")


@pytest.mark.parametrize(
    "url",
    [
        "/v1/projects/a%20b",
        "/v1/projects/na%C3%AFve",
        "/v1/projects/" + "x" * 65,
        "/v1/projects/acme/a%2Fb",
        "/v1/projects/acme/tab%09x",
        "/v1/projects/acme/-x",
    ],
)
async def test_bad_names_are_400_json(client, url: str) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get(url)
    assert resp.status == 400, await resp.text()
    assert "must match" in (await resp.json())["detail"]


@pytest.mark.parametrize("name", ["..", "a/b", "", "x" * 65, "bad name", "ünï", "a\x01b"])
async def test_bad_project_names_in_create_body_are_400(client, name: str) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post("/v1/projects/acme", json={"name": name})
    assert resp.status == 400
    assert "detail" in await resp.json()


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"", 400, "empty"),
        (b"[1, 2]", 422, "must be a JSON object"),
        (b'{"config_template": "server"}', 422, "body.name: Field required"),
        (b'{"name": 5}', 422, "body.name"),
    ],
)
async def test_malformed_and_invalid_bodies(client, body: bytes, status: int, fragment: str) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post("/v1/projects/acme", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == status
    assert fragment in (await resp.json())["detail"]


async def test_missing_project_is_404_json(client) -> None:  # type: ignore[no-untyped-def]
    for method in ("GET", "DELETE"):
        resp = await client.request(method, "/v1/projects/acme/ghost")
        assert resp.status == 404
        assert "not found" in (await resp.json())["detail"]
    resp = await client.put(
        "/v1/projects/acme/ghost",
        json={"config": {"runtime": {"provider": "llamacpp", "model": "gemma3-270m"}}},
    )
    assert resp.status == 404


async def test_twenty_concurrent_puts_leave_one_complete_valid_file(client) -> None:  # type: ignore[no-untyped-def]
    await create(client)
    config = (await (await client.get("/v1/projects/acme/bot")).json())["project"]["config"]

    async def put(i: int) -> int:
        body = dict(
            config, prompts=[{"name": f"p{i}", "messages": [{"role": "system", "content": "y" * 4000}]}]
        )
        return (await client.put("/v1/projects/acme/bot", json={"config": body})).status

    statuses = await asyncio.gather(*(put(i) for i in range(20)))
    assert statuses == [200] * 20
    final = (await (await client.get("/v1/projects/acme/bot")).json())["project"]["config"]
    assert final["prompts"][0]["name"] in {f"p{i}" for i in range(20)}
    assert final["prompts"][0]["messages"][0]["content"] == "y" * 4000
