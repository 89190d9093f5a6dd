"""A real ``llamafarm serve`` keeps its embedded Chroma client open between queries; its
worker process writes. A query right after a processing task ends must see the new chunks
(by vector search and by BM25), and a removed file's chunks must be gone at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.conftest import ServerProcess
from tests.jobs_fixtures import REPO, wait_until

pytestmark = pytest.mark.slow
NS, PROJECT, DATASET = "acme", "fresh", "docs"
DOCS = {
    "chess.txt": "The chess grandmaster sacrificed her queen to force checkmate in the endgame.",
    "bread.txt": "Knead the sourdough bread dough, let it rise overnight, then bake it in a hot oven.",
    "comet.txt": "The comet's icy nucleus sublimates near the sun and grows a long glowing tail.",
}


def _process(url: str) -> None:
    answer = requests.post(f"{url}/datasets/{DATASET}/process", timeout=120)
    assert answer.status_code in (200, 202), answer.text
    task_id = answer.json().get("task_id")
    if task_id:
        wait_until(
            lambda: requests.get(f"{url}/tasks/{task_id}", timeout=30).json()["state"] == "SUCCESS",
            180,
            what="processing task SUCCESS",
        )


def _top(url: str, query: str, strategy: str) -> list[str]:
    resp = requests.post(
        f"{url}/rag/query", json={"query": query, "retrieval_strategy": strategy, "top_k": 3}, timeout=60
    )
    assert resp.status_code == 200, resp.text
    return [r["metadata"].get("filename") for r in resp.json()["results"]]


def test_a_query_right_after_processing_sees_the_new_chunks(tmp_path: Path) -> None:
    data_dir = tmp_path / "served"
    data_dir.mkdir()
    server = ServerProcess(data_dir, ["--workers", "1"], env={"PYTHONPATH": str(REPO)}).wait_ready()
    try:
        requests.post(
            f"{server.url}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}, timeout=60
        ).raise_for_status()
        url = f"{server.url}/v1/projects/{NS}/{PROJECT}"
        requests.post(
            f"{url}/datasets", json={"name": DATASET, "data_processing_strategy": "universal_processor"}
        ).raise_for_status()
        names = list(DOCS)
        for round_, name in enumerate(names, start=1):
            files = {"file": (name, DOCS[name].encode(), "text/plain")}
            upload = requests.post(f"{url}/datasets/{DATASET}/data", files=files, timeout=60)
            assert upload.status_code in (200, 201), upload.text
            _process(url)
            # The server's open client was opened before this write: it must have reopened.
            assert _top(url, DOCS[name], "basic_search")[0] == name
            assert _top(url, DOCS[name], "keyword_search")[0] == name
            assert len(_top(url, "anything at all", "basic_search")) == round_
        listed = requests.get(f"{url}/datasets", timeout=30).json()["datasets"]
        first = next(d for d in listed if d["name"] == DATASET)["files"][0]
        removed = requests.delete(f"{url}/datasets/{DATASET}/data/{first}", timeout=60)
        assert removed.status_code == 200, removed.text
        left = _top(url, "anything at all", "basic_search")
        assert len(left) == len(names) - 1 and names[0] not in left
    finally:
        server.stop()
