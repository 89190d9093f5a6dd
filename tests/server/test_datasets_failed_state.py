"""A file whose processing failed reads "failed" with its reason in the dataset's file list,
whatever the failure: no parser takes it, its content is gone from storage, or its parser
failed (regression: the first two read "pending", as if never tried)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from llamafarm_core.settings import Settings
from tests.server.test_datasets_api import BASE, form, make_dataset, make_project, rag_config

pytestmark = pytest.mark.slow


async def file_details(client) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    listed = await (await client.get(BASE)).json()
    return {f["original_filename"]: f for f in listed["datasets"][0]["details"]["file_details"]}


async def test_failed_files_read_failed_with_their_reason(client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    await make_project(client, rag_config(embedding=True))
    await make_dataset(client)  # text_only: *.txt
    files = [
        ("good.txt", b"Gliders climb in thermals and descend slowly between them.\n"),
        ("blob.bin", b"\x00\x01\x02 no parser takes this"),
        ("gone.txt", b"This file's content will vanish from storage.\n"),
        ("empty.txt", b""),
    ]
    up = await client.post(f"{BASE}/papers/data/bulk", data=form("files", files))
    assert up.status == 200 and (await up.json())["uploaded"] == len(files)
    gone = hashlib.sha256(files[2][1]).hexdigest()
    (settings.data_dir / "projects" / "acme" / "docs" / "files" / gone).unlink()

    report = await (await client.post(f"{BASE}/papers/process")).json()
    assert (report["processed_files"], report["failed_files"]) == (1, 3), report

    expected = {
        "blob.bin": "unsupported file type",
        "gone.txt": "not in storage",
        "empty.txt": "0 bytes",
    }
    listed = await file_details(client)
    assert listed["good.txt"]["status"] == "processed" and listed["good.txt"]["reason"] is None
    for name, needle in expected.items():
        detail = listed[name]
        assert (detail["status"], detail["processed"], detail["chunks"]) == ("failed", False, 0), detail
        assert needle in (detail["reason"] or "").lower(), detail

    # Tried again on the next run (a failure is not skipped), and still failed.
    again = await (await client.post(f"{BASE}/papers/process")).json()
    assert (again["skipped_files"], again["failed_files"]) == (1, 3), again
    assert {n: d["status"] for n, d in (await file_details(client)).items()} == {
        "good.txt": "processed",
        **dict.fromkeys(expected, "failed"),
    }
