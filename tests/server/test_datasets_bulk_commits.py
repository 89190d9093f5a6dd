"""A bulk upload commits several received files at once (routes/datasets.py,
COMMITS_IN_FLIGHT): results keep the request's order, repeated content is stored once with
its first name, a refused request adds nothing and leaves no temp file."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator

from llamafarm_core.settings import Settings
from llamafarm_server.app import create_app
from tests.server.test_datasets_api import BASE, form, make_dataset, make_project

FILES_DIR = ("projects", "acme", "docs", "files")


async def test_many_files_keep_order_and_repeats_are_stored_once(client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    await make_dataset(client)
    files = [(f"n{i:02d}.txt", f"note {i % 25}\n".encode()) for i in range(40)]  # 15 repeats
    body = await (await client.post(f"{BASE}/papers/data/bulk", data=form("files", files))).json()
    assert [f["filename"] for f in body["files"]] == [name for name, _ in files]
    assert [f["status"] for f in body["files"]] == ["uploaded"] * 25 + ["skipped"] * 15
    assert [f["hash"] for f in body["files"]] == [hashlib.sha256(c).hexdigest() for _, c in files]
    listed = await (await client.get(BASE)).json()
    ds = listed["datasets"][0]
    assert ds["files"] == [hashlib.sha256(c).hexdigest() for _, c in files[:25]]
    assert {f["original_filename"] for f in ds["details"]["file_details"]} == {n for n, _ in files[:25]}
    stored = settings.data_dir.joinpath(*FILES_DIR)
    for name, content in files[:25]:
        digest = hashlib.sha256(content).hexdigest()
        assert (stored / digest).read_bytes() == content
        assert json.loads((stored / f"{digest}.json").read_text())["original_filename"] == name
    assert list((stored / ".tmp").iterdir()) == []


def multipart(files: list[tuple[str, bytes]], boundary: str) -> bytes:
    out = b""
    for name, content in files:
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: text/plain\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()


async def test_a_body_over_the_byte_cap_midway_adds_nothing(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    """Sent chunked (no Content-Length), the cap is found while files are being committed."""
    small = dataclasses.replace(settings, max_bulk_bytes=1000)
    client = await aiohttp_client(create_app(small, registry))
    await make_project(client)
    await make_dataset(client)
    boundary = "bulkcommitsboundary"
    files = [(f"{i:02d}.txt", f"{i:02d}".encode() * 50) for i in range(12)]  # 12 x 100 bytes
    data = multipart(files, boundary)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 256):
            yield data[start : start + 256]

    resp = await client.post(
        f"{BASE}/papers/data/bulk",
        data=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert resp.status == 413 and "LF_MAX_BULK_BYTES" in (await resp.json())["detail"]
    listed = await (await client.get(BASE)).json()
    assert listed["datasets"][0]["files"] == []
    assert list(settings.data_dir.joinpath(*FILES_DIR, ".tmp").iterdir()) == []
    ok = await client.post(f"{BASE}/papers/data/bulk", data=form("files", files[:3]))
    assert ok.status == 200 and (await ok.json())["uploaded"] == 3
