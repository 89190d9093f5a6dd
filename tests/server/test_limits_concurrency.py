"""Limits and concurrency (issue 10): If-Match/ETag on config PUT (a concurrent upload is
never silently dropped), config size, masked literal credentials, bulk upload caps, and the
separate executor for long work."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from types import SimpleNamespace

from llamafarm_core.secrets import MASK
from llamafarm_server.api import run_long
from llamafarm_server.app import create_app
from tests.server.test_datasets_api import BASE, form, make_dataset, make_project, rag_config, upload

PROJECT = "/v1/projects/acme/docs"


async def test_get_has_an_etag_and_a_stale_put_is_412(client) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    got = await client.get(PROJECT)
    etag = got.headers["ETag"]
    config = (await got.json())["project"]["config"]
    assert etag.startswith('"') and len(etag) > 10
    changed = {**config, "prompts": [{"name": "p", "messages": [{"role": "system", "content": "a"}]}]}
    ok = await client.put(PROJECT, json={"config": changed}, headers={"If-Match": etag})
    assert ok.status == 200, await ok.text()
    new_etag = ok.headers["ETag"]
    assert new_etag != etag and new_etag == (await client.get(PROJECT)).headers["ETag"]
    stale = await client.put(PROJECT, json={"config": config}, headers={"If-Match": etag})
    assert stale.status == 412 and "ETag" in (await stale.json())["detail"]
    assert (await (await client.get(PROJECT)).json())["project"]["config"]["prompts"]
    assert (await client.put(PROJECT, json={"config": config}, headers={"If-Match": "*"})).status == 200


async def test_concurrent_upload_is_not_lost_by_a_put_with_if_match(client) -> None:  # type: ignore[no-untyped-def]
    """The finding: a PUT of a config read before an upload silently dropped the upload."""
    await make_project(client)
    await make_dataset(client)
    got = await client.get(PROJECT)
    etag, config = got.headers["ETag"], (await got.json())["project"]["config"]
    assert (await upload(client, "papers", "a.txt", b"alpha")).status in (200, 201)
    stale = await client.put(PROJECT, json={"config": config}, headers={"If-Match": etag})
    assert stale.status == 412
    listed = await (await client.get(BASE)).json()
    assert [f for d in listed["datasets"] for f in d["files"]], "the upload must still be there"


async def test_config_size_limit(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(dataclasses.replace(settings, max_config_bytes=2048), registry))
    await make_project(client)
    config = rag_config()
    config["prompts"] = [{"name": "p", "messages": [{"role": "system", "content": "x" * 4000}]}]
    resp = await client.put(PROJECT, json={"config": config})
    assert resp.status == 413 and "LF_MAX_CONFIG_BYTES" in (await resp.json())["detail"]


async def test_literal_credentials_are_masked_and_kept(client, settings) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    config = rag_config()
    config["runtime"]["models"][0]["api_key"] = "sk-literal-0123456789abcdef"
    config["runtime"]["models"].append(
        {"name": "n", "provider": "openai", "model": "y", "api_key": "${MY_KEY}"}
    )
    assert (await client.put(PROJECT, json={"config": config})).status == 200
    got = await client.get(PROJECT)
    text = await got.text()
    assert "sk-literal" not in text and "${MY_KEY}" in text
    shown = (await got.json())["project"]["config"]
    assert shown["runtime"]["models"][0]["api_key"] == MASK
    # writing the masked config back keeps the stored key
    assert (await client.put(PROJECT, json={"config": shown})).status == 200
    stored = (settings.projects_dir / "acme" / "docs" / "llamafarm.yaml").read_text()
    assert "sk-literal-0123456789abcdef" in stored and MASK not in stored


async def test_bulk_upload_caps(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    small = dataclasses.replace(settings, max_bulk_files=2, max_bulk_bytes=1000)
    client = await aiohttp_client(create_app(small, registry))
    await make_project(client)
    await make_dataset(client)
    files = [(f"{i}.txt", f"file {i}".encode()) for i in range(3)]
    resp = await client.post(f"{BASE}/papers/data/bulk", data=form("files", files))
    assert resp.status == 413 and "LF_MAX_BULK_FILES" in (await resp.json())["detail"]
    big = [("a.txt", b"a" * 600), ("b.txt", b"b" * 600)]
    resp = await client.post(f"{BASE}/papers/data/bulk", data=form("files", big))
    assert resp.status == 413 and "LF_MAX_BULK_BYTES" in (await resp.json())["detail"]
    listed = await (await client.get(BASE)).json()
    assert listed["datasets"][0]["files"] == []  # nothing added by a refused request
    ok = await client.post(f"{BASE}/papers/data/bulk", data=form("files", files[:2]))
    assert ok.status == 200 and (await ok.json())["uploaded"] == 2


async def test_long_work_does_not_starve_short_requests(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    """Long work (non-streaming chat, synchronous processing) runs on its own executor: with
    it saturated, a GET still answers at once."""
    client = await aiohttp_client(create_app(dataclasses.replace(settings, long_threads=2), registry))
    await make_project(client)
    release = threading.Event()
    fake_request = SimpleNamespace(app=client.app)
    long_work = [asyncio.ensure_future(run_long(fake_request, release.wait, 30)) for _ in range(12)]
    try:
        await asyncio.sleep(0.1)
        started = time.monotonic()
        for _ in range(10):
            assert (await client.get(PROJECT)).status == 200
        assert time.monotonic() - started < 5
    finally:
        release.set()
        await asyncio.gather(*long_work)
