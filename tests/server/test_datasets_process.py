"""Processing through the HTTP API (in-process app, real components): the bad inputs of the
ingestion issue in one batch with good files, exact removal, and the original LlamaFarm
configs processing a PDF."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from llamafarm_core.databases import open_database
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings
from tests.conftest import COMPAT_CONFIGS
from tests.core.ingest.pipeline_samples import SENTENCES, bad_files, good_files, pdf_bytes
from tests.server.test_datasets_api import form, make_project

pytestmark = pytest.mark.slow

BASE = "/v1/projects/acme/docs/datasets"
MINILM = {
    "name": "minilm",
    "type": "SentenceTransformerEmbedder",
    "config": {"model_name": "all-MiniLM-L6-v2"},
}


def config() -> dict[str, Any]:
    parsers = [
        {"type": "PDFParser_PyPDF2", "file_include_patterns": ["*.pdf"], "config": {"chunk_size": 500}},
        {"type": "MarkdownParser_Python", "file_include_patterns": ["*.md"]},
        {"type": "TextParser_Python", "file_include_patterns": ["*.txt"], "config": {"chunk_size": 800}},
        {"type": "CSVParser_Python", "file_include_patterns": ["*.csv"], "config": {"chunk_overlap": 0}},
    ]
    return {
        "version": "v1",
        "name": "docs",
        "namespace": "acme",
        "runtime": {"models": [{"name": "m", "provider": "openai", "model": "x"}]},
        "rag": {
            "databases": [{"name": "main_db", "type": "ChromaStore", "embedding_strategies": [MINILM]}],
            "data_processing_strategies": [
                {"name": "mixed", "parsers": parsers, "extractors": [{"type": "ContentStatisticsExtractor"}]}
            ],
        },
    }


def counts(settings: Settings, registry: Registry, ns: str, name: str, db: str) -> tuple[int, int]:
    project = ProjectStore(settings, registry).get(ProjectRef(ns, name))
    info = open_database(registry, project, db).info()
    return info.chunk_count, info.lexical_count


async def test_bad_inputs_fail_alone_in_one_batch(client, settings: Settings, registry: Registry) -> None:  # type: ignore[no-untyped-def]
    await make_project(client, config())
    assert (await client.post(BASE, json={"name": "mix", "data_processing_strategy": "mixed"})).status == 201
    good = {n: d for n, d in good_files().items() if n.rsplit(".", 1)[1] in ("pdf", "md", "txt", "csv")}
    files = [*good.items(), *bad_files().items()]
    up = await client.post(f"{BASE}/mix/data/bulk", data=form("files", files))
    body = await up.json()
    assert up.status == 200 and body["failed"] == 0, body
    # 0 bytes and whitespace-only are distinct contents; everything was stored.
    assert body["uploaded"] == len(files)

    resp = await client.post(f"{BASE}/mix/process")
    assert resp.status == 200, await resp.text()
    report = await resp.json()
    details = {d["filename"]: d for d in report["details"]}
    status = {n: d["status"] for n, d in details.items()}
    assert {n: status[n] for n in good} == dict.fromkeys(good, "processed")
    expected_failures = {
        "empty.txt": "0 bytes",
        "blank.md": "no text",
        "random.pdf": "not a valid pdf",
        "locked.pdf": "encrypted",
        "mystery.xyz": "unsupported file type",
    }
    for name, needle in expected_failures.items():
        assert status[name] == "failed", (name, details[name])
        assert needle in details[name]["reason"].lower(), (name, details[name]["reason"])
    handled = ["latin1.txt", "oneline.txt", "ragged.csv", "passwd.txt"]
    assert {n: status[n] for n in handled} == dict.fromkeys(handled, "processed"), [
        details[n] for n in handled
    ]
    assert details["oneline.txt"]["chunks"] > 50  # a 84 kB line, cut into pieces
    assert (report["processed_files"], report["failed_files"], report["skipped_files"]) == (
        len(good) + len(handled),
        len(expected_failures),
        0,
    )
    for d in report["details"]:
        assert {
            "hash",
            "filename",
            "status",
            "parser",
            "extractors",
            "chunks",
            "chunk_size",
            "embedder",
        } <= set(d)

    total = sum(d["chunks"] for d in report["details"] if d["status"] == "processed")
    assert counts(settings, registry, "acme", "docs", "main_db") == (total, total)
    project_dir = settings.data_dir / "projects" / "acme" / "docs"
    assert list((project_dir / "files" / ".tmp").iterdir()) == []
    handle = open_database(registry, ProjectStore(settings, registry).get(ProjectRef("acme", "docs")), None)
    with handle.reading() as store:
        hits = store.search(handle.embed_query("Café crème brûlée recipes"), top_k=1)
    assert hits[0].metadata["filename"] == "latin1.txt" and "Café crème" in hits[0].text

    listed = await (await client.get(BASE)).json()
    by_name = {f["original_filename"]: f for f in listed["datasets"][0]["details"]["file_details"]}
    assert (
        by_name["locked.pdf"]["status"] == "failed" and "encrypted" in by_name["locked.pdf"]["reason"].lower()
    )
    assert by_name["chess.txt"]["processed"] is True and by_name["chess.txt"]["chunks"] == 1

    # Processing again: the processed are skipped, the failed are tried (and fail) again.
    again = await (await client.post(f"{BASE}/mix/process")).json()
    assert again["skipped_files"] == len(good) + len(handled) and again["failed_files"] == len(
        expected_failures
    )

    # Removing a file lowers both indexes by exactly its chunks.
    pdf = details["manual.pdf"]
    gone = await (await client.delete(f"{BASE}/mix/data/{pdf['hash']}")).json()
    assert gone["removed_chunks"] == pdf["chunks"] > 0
    assert counts(settings, registry, "acme", "docs", "main_db") == (total - pdf["chunks"],) * 2


def swap_embedders(raw: dict[str, Any]) -> dict[str, Any]:
    """The config with every database's embedder replaced by the bundled model."""
    out = copy.deepcopy(raw)
    for db in out["rag"]["databases"]:
        for strategy in db["embedding_strategies"]:
            strategy["type"], strategy["config"] = (
                "SentenceTransformerEmbedder",
                {"model_name": "all-MiniLM-L6-v2"},
            )
    return out


@pytest.mark.parametrize("path", COMPAT_CONFIGS, ids=lambda p: p.name)
async def test_original_configs_process_a_pdf(  # type: ignore[no-untyped-def]
    client, path: Path, settings: Settings, registry: Registry
) -> None:
    raw = yaml.safe_load(path.read_text())
    ns, name = raw["namespace"], raw["name"]
    dataset = raw["datasets"][0]
    url = f"/v1/projects/{ns}/{name}"
    assert (await client.post(f"/v1/projects/{ns}", json={"name": name})).status == 201
    assert (await client.put(url, json={"config": raw})).status == 200

    sentence = SENTENCES["manual.pdf"]
    data = aiohttp.FormData()
    data.add_field("file", pdf_bytes(["Warning letter summary.", sentence]), filename="letter.pdf")
    up = await (await client.post(f"{url}/datasets/{dataset['name']}/data", data=data)).json()

    # As shipped: UniversalEmbedder points at a runtime that isn't running → a clear failure.
    resp = await client.post(f"{url}/datasets/{dataset['name']}/process")
    assert resp.status == 200, await resp.text()
    details = {d["hash"]: d for d in (await resp.json())["details"]}
    pdf = details[up["hash"]]
    assert pdf["status"] == "failed" and "UniversalEmbedder" in pdf["reason"] and "reach" in pdf["reason"], (
        pdf
    )
    for missing in dataset["files"]:  # fda_rag lists files this machine never received
        assert details[missing]["status"] == "failed" and "not in storage" in details[missing]["reason"]

    # With the bundled embedder swapped in, the same PDF is processed and searchable.
    current = (await (await client.get(url)).json())["project"]["config"]  # holds the upload
    assert (await client.put(url, json={"config": swap_embedders(current)})).status == 200
    resp = await client.post(f"{url}/datasets/{dataset['name']}/process")
    report = await resp.json()
    pdf = next(d for d in report["details"] if d["hash"] == up["hash"])
    assert pdf["status"] == "processed" and pdf["chunks"] >= 1, pdf
    assert pdf["parser"].startswith("PDFParser") and pdf["embedder"] == "SentenceTransformerEmbedder"
    assert report["database"] == dataset["database"]
    if "semantic" in path.read_text():
        assert any("semantic" in w for w in pdf["warnings"]), pdf["warnings"]
    project = ProjectStore(settings, registry).get(ProjectRef(ns, name))
    handle = open_database(registry, project, dataset["database"])
    with handle.reading() as store:
        top = store.search(handle.embed_query(sentence), top_k=1)[0]
    assert top.metadata["file_hash"] == up["hash"] and top.metadata["page"] in (1, 2)
