"""Datasets API through the in-process app: create/list/upload/remove shapes, and every bad
input is a 4xx {"detail"} that loses nothing. (Processing: test_datasets_process.py.)"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llamafarm_core.settings import Settings

BASE = "/v1/projects/acme/docs/datasets"


def rag_config(embedding: bool = False) -> dict[str, Any]:
    """A project with two strategies and two databases (no processing in this module)."""
    db: dict[str, Any] = {"name": "main_db", "type": "ChromaStore", "config": {"distance_function": "cosine"}}
    if embedding:
        db["embedding_strategies"] = [
            {
                "name": "minilm",
                "type": "SentenceTransformerEmbedder",
                "config": {"model_name": "all-MiniLM-L6-v2"},
            }
        ]
    return {
        "version": "v1",
        "name": "docs",
        "namespace": "acme",
        "runtime": {"models": [{"name": "m", "provider": "openai", "model": "x"}]},
        "rag": {
            "default_database": "main_db",
            "databases": [db, {"name": "other_db", "type": "QdrantStore"}],
            "data_processing_strategies": [
                {
                    "name": "text_only",
                    "parsers": [{"type": "TextParser_Python", "file_include_patterns": ["*.txt"]}],
                },
                {"name": "markdown", "parsers": [{"type": "MarkdownParser_Python"}]},
            ],
        },
    }


async def make_project(client, config: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    assert (await client.post("/v1/projects/acme", json={"name": "docs"})).status == 201
    put = await client.put("/v1/projects/acme/docs", json={"config": config or rag_config()})
    assert put.status == 200, await put.text()


async def make_dataset(client, name: str = "papers", strategy: str = "text_only") -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(
        BASE, json={"name": name, "data_processing_strategy": strategy, "database": "main_db"}
    )
    assert resp.status == 201, await resp.text()


def form(field: str, files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, content in files:
        data.add_field(field, content, filename=name, content_type="application/octet-stream")
    return data


async def upload(client, dataset: str, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return await client.post(f"{BASE}/{dataset}/data", data=form("file", [(name, content)]))


async def test_create_list_strategies(client) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    strategies = await (await client.get(f"{BASE}/strategies")).json()
    assert strategies == {
        "data_processing_strategies": ["text_only", "markdown"],
        "databases": ["main_db", "other_db"],
    }
    resp = await client.post(
        BASE, json={"name": "papers", "data_processing_strategy": "text_only", "database": "main_db"}
    )
    assert resp.status == 201
    assert await resp.json() == {
        "dataset": {
            "name": "papers",
            "database": "main_db",
            "data_processing_strategy": "text_only",
            "files": [],
            "description": None,
            "details": None,
        }
    }
    listed = await (await client.get(BASE)).json()
    assert listed["total"] == 1
    assert listed["datasets"][0]["details"] == {"total_files": 0, "total_size_bytes": 0, "file_details": []}
    plain = await (await client.get(BASE, params={"include_extra_details": "false"})).json()
    assert plain["datasets"][0]["details"] is None
    config = (await (await client.get("/v1/projects/acme/docs")).json())["project"]["config"]
    assert config["datasets"] == [
        {"name": "papers", "database": "main_db", "data_processing_strategy": "text_only", "files": []}
    ]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (
            {"name": "x", "data_processing_strategy": "nope", "database": "main_db"},
            400,
            "known: text_only, markdown",
        ),
        (
            {"name": "x", "data_processing_strategy": "text_only", "database": "nope"},
            400,
            "known: main_db, other_db",
        ),
        ({"name": "x", "database": "main_db"}, 400, "data_processing_strategy is required"),
        ({"name": "../x", "data_processing_strategy": "text_only"}, 400, "invalid dataset name"),
        ({"data_processing_strategy": "text_only"}, 422, "name"),
    ],
)
async def test_create_bad_input(client, body, status, needle) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    resp = await client.post(BASE, json=body)
    assert resp.status == status
    assert needle in (await resp.json())["detail"]
    assert (await (await client.get(BASE)).json())["total"] == 0


async def test_create_duplicate_409_and_project_without_rag_400(client) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    await make_dataset(client)
    again = await client.post(BASE, json={"name": "papers", "data_processing_strategy": "text_only"})
    assert again.status == 409 and "already exists" in (await again.json())["detail"]
    assert (await client.post("/v1/projects/acme", json={"name": "plain"})).status == 201
    resp = await client.post("/v1/projects/acme/plain/datasets", json={"name": "d"})
    assert resp.status == 400 and "no 'rag' section" in (await resp.json())["detail"]
    missing = await client.get("/v1/projects/acme/ghost/datasets")
    assert missing.status == 404


async def test_upload_duplicate_and_details(client) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    await make_dataset(client)
    content = b"Some notes about gliders.\n"
    digest = hashlib.sha256(content).hexdigest()
    resp = await upload(client, "papers", "notes.txt", content)
    assert resp.status == 200
    body = await resp.json()
    assert body == {
        "filename": "notes.txt",
        "hash": digest,
        "processed": False,
        "skipped": False,
        "size": len(content),
        "mime_type": "text/plain",
    }
    again = await (await upload(client, "papers", "copy.txt", content)).json()
    assert again["skipped"] is True and again["hash"] == digest
    listed = await (await client.get(BASE)).json()
    ds = listed["datasets"][0]
    assert ds["files"] == [digest]
    detail = ds["details"]["file_details"][0]
    assert detail["hash"] == digest and detail["original_filename"] == "notes.txt"
    assert detail["size"] == len(content) and detail["mime_type"] == "text/plain"
    assert detail["processed"] is False and detail["status"] == "pending" and detail["timestamp"] > 0
    assert ds["details"]["total_size_bytes"] == len(content)


async def test_filename_with_path_parts_is_only_metadata(client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    await make_dataset(client)
    for name in ("../../etc/passwd", "..\\..\\evil.txt"):
        body = await (await upload(client, "papers", name, name.encode())).json()
        assert body["filename"] in ("passwd", "evil.txt")
    # aiohttp's client refuses control characters in headers: send the RFC 5987 form by hand.
    raw = (
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''nul%00byte.txt\r\n\r\n"
        b"nul name\r\n--b--\r\n"
    )
    resp = await client.post(
        f"{BASE}/papers/data", data=raw, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert (await resp.json())["filename"] == "nulbyte.txt"
    names = [
        f["original_filename"]
        for f in (await (await client.get(BASE)).json())["datasets"][0]["details"]["file_details"]
    ]
    assert names == ["passwd", "evil.txt", "nulbyte.txt"]
    project_dir = settings.data_dir / "projects" / "acme" / "docs"
    stored = sorted(p.relative_to(project_dir).as_posix() for p in project_dir.rglob("*") if p.is_file())
    assert all(p == "llamafarm.yaml" or p.startswith(("files/", "members.sqlite")) for p in stored), stored
    assert not (settings.data_dir / "etc").exists() and not (settings.data_dir.parent / "evil.txt").exists()


async def test_upload_limit_413_leaves_nothing(aiohttp_client, registry, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from llamafarm_server.app import create_app

    client = await aiohttp_client(create_app(Settings(data_dir=data_dir, max_upload_bytes=1000), registry))
    await make_project(client)
    await make_dataset(client)
    resp = await upload(client, "papers", "big.txt", b"x" * 200_000)  # refused from Content-Length
    assert resp.status == 413 and "upload limit" in (await resp.json())["detail"]
    resp = await upload(client, "papers", "big.txt", b"y" * 1500)  # refused while streaming
    assert resp.status == 413 and "upload limit" in (await resp.json())["detail"]
    bulk = await client.post(
        f"{BASE}/papers/data/bulk",
        data=form("files", [("ok.txt", b"fine"), ("big.txt", b"z" * 5000), ("ok2.txt", b"good")]),
    )
    body = await bulk.json()
    assert bulk.status == 200
    assert [f["status"] for f in body["files"]] == ["uploaded", "failed", "uploaded"]
    assert "upload limit" in body["files"][1]["reason"] and body["files"][1]["filename"] == "big.txt"
    assert (body["uploaded"], body["skipped"], body["failed"], body["total"]) == (2, 0, 1, 3)
    files_dir = data_dir / "projects" / "acme" / "docs" / "files"
    stored = sorted(p.name for p in files_dir.rglob("*") if p.is_file())
    expected = sorted(
        x
        for c in (b"fine", b"good")
        for x in (hashlib.sha256(c).hexdigest(), hashlib.sha256(c).hexdigest() + ".json")
    )
    assert stored == expected  # no partial file, no temp file


async def test_upload_bad_requests(client) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    await make_dataset(client)
    missing = await upload(client, "ghost", "a.txt", b"a")
    assert missing.status == 404 and "dataset 'ghost' not found" in (await missing.json())["detail"]
    bad_name = await upload(client, "bad..name", "a.txt", b"a")
    assert bad_name.status == 400
    not_multipart = await client.post(
        f"{BASE}/papers/data", data=b"raw", headers={"Content-Type": "text/plain"}
    )
    # text/plain is a type any web page may send cross-site: the security middleware refuses it
    assert not_multipart.status == 415 and "multipart/form-data" in (await not_multipart.json())["detail"]
    as_json = await client.post(f"{BASE}/papers/data", json={"file": "a"})
    assert as_json.status == 400 and "multipart/form-data" in (await as_json.json())["detail"]
    wrong_field = await client.post(f"{BASE}/papers/data", data=form("document", [("a.txt", b"a")]))
    assert wrong_field.status == 400 and "field 'file'" in (await wrong_field.json())["detail"]
    no_filename = b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\njust a value\r\n--b--\r\n'
    resp = await client.post(
        f"{BASE}/papers/data", data=no_filename, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert resp.status == 400 and "must be a file upload" in (await resp.json())["detail"]
    empty_bulk = await client.post(f"{BASE}/papers/data/bulk", data=form("other", [("a.txt", b"a")]))
    assert empty_bulk.status == 400
    listed = await (await client.get(BASE)).json()
    assert listed["datasets"][0]["files"] == []


async def test_remove_file_and_delete_dataset(client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    await make_dataset(client)
    await make_dataset(client, "second")
    one = (await (await upload(client, "papers", "one.txt", b"one")).json())["hash"]
    shared = (await (await upload(client, "papers", "shared.txt", b"shared")).json())["hash"]
    await upload(client, "second", "shared.txt", b"shared")
    blobs = settings.data_dir / "projects" / "acme" / "docs" / "files"

    assert (await client.delete(f"{BASE}/papers/data/{'0' * 64}")).status == 404
    assert (await client.delete(f"{BASE}/papers/data/not-a-hash")).status == 400
    assert (await client.delete(f"{BASE}/ghost/data/{one}")).status == 404

    resp = await client.delete(f"{BASE}/papers/data/{shared}", params={"remove_from_disk": "true"})
    body = await resp.json()
    assert resp.status == 200 and body["file_hash"] == shared
    assert body["removed_from_disk"] is False and body["kept_for"] == ["second"]
    assert (blobs / shared).exists()

    resp = await client.delete(f"{BASE}/papers/data/{one}", params={"remove_from_disk": "true"})
    assert (await resp.json())["removed_from_disk"] is True and not (blobs / one).exists()

    gone = await client.delete(f"{BASE}/second")
    body = await gone.json()
    assert gone.status == 200 and body["dataset"]["name"] == "second" and body["removed_files"] == [shared]
    assert not (blobs / shared).exists()
    assert [d["name"] for d in (await (await client.get(BASE)).json())["datasets"]] == ["papers"]
    assert (await client.delete(f"{BASE}/second")).status == 404


async def test_bulk_upload_is_one_edit_and_skips_repeats(client) -> None:  # type: ignore[no-untyped-def]
    await make_project(client)
    await make_dataset(client)
    files = [("a.txt", b"alpha"), ("b.txt", b"beta"), ("a-again.txt", b"alpha"), ("c.txt", b"gamma")]
    body = await (await client.post(f"{BASE}/papers/data/bulk", data=form("files", files))).json()
    assert [(f["filename"], f["status"]) for f in body["files"]] == [
        ("a.txt", "uploaded"),
        ("b.txt", "uploaded"),
        ("a-again.txt", "skipped"),
        ("c.txt", "uploaded"),
    ]
    assert body["files"][2]["hash"] == body["files"][0]["hash"]
    listed = await (await client.get(BASE)).json()
    assert listed["datasets"][0]["files"] == [
        hashlib.sha256(c).hexdigest() for c in (b"alpha", b"beta", b"gamma")
    ]
    again = await (await client.post(f"{BASE}/papers/data/bulk", data=form("files", files[:2]))).json()
    assert (again["uploaded"], again["skipped"]) == (0, 2)
