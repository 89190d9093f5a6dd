"""The default template (``rag``) takes every format we parse: one file of each type through
the API into a rag-template project, processed by its default strategy."""

from __future__ import annotations

import pytest

from tests.core.ingest.pipeline_samples import SENTENCES, good_files
from tests.fixtures.msgfile import msg_bytes
from tests.server.test_datasets_api import form

pytestmark = pytest.mark.slow
BASE = "/v1/projects/acme/everything"


async def test_every_parsed_format_goes_through_the_default_strategy(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post("/v1/projects/acme", json={"name": "everything", "config_template": "rag"})
    assert resp.status == 201, await resp.text()
    assert (await client.post(f"{BASE}/datasets", json={"name": "all"})).status == 201
    files = good_files()
    assert {n.rsplit(".", 1)[1] for n in files} == {
        "pdf",
        "docx",
        "md",
        "txt",
        "csv",
        "xlsx",
        "html",
        "json",
        "py",
    }
    # A real Outlook message (written by tests/fixtures/msgfile.py), and a broken one.
    body = "The shearing of the alpaca herd is scheduled for the second week of May."
    mail = ("note.msg", msg_bytes("Shearing plan", "Ada Lovelace", "ada@example.org", body))
    broken = ("broken.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    up = await client.post(
        f"{BASE}/datasets/all/data/bulk", data=form("files", [*files.items(), mail, broken])
    )
    assert up.status == 200 and (await up.json())["failed"] == 0

    report = await (await client.post(f"{BASE}/datasets/all/process", json={})).json()
    details = {d["filename"]: d for d in report["details"]}
    for name in files:
        assert details[name]["status"] == "processed" and details[name]["chunks"] > 0, details[name]
    assert details["note.msg"]["status"] == "processed" and details["note.msg"]["chunks"] > 0
    assert details["broken.msg"]["status"] == "failed"  # fails alone, with its reason
    assert "not a valid Outlook .msg" in details["broken.msg"]["reason"], details["broken.msg"]
    found = await (
        await client.post(f"{BASE}/rag/query", json={"query": "When are the alpacas shorn?", "top_k": 1})
    ).json()
    best = found["results"][0]
    assert best["metadata"]["filename"] == "note.msg", best["metadata"]
    assert "Subject: Shearing plan" in best["content"] and body in best["content"]
    assert "From: Ada Lovelace" in best["content"]

    for name in ("ocean.json", "orbit.py", "sales.xlsx"):
        found = await (
            await client.post(f"{BASE}/rag/query", json={"query": SENTENCES[name], "top_k": 1})
        ).json()
        assert found["results"][0]["metadata"]["filename"] == name, (name, found["results"][0]["metadata"])
