"""``llamafarm rag …`` against a real ``llamafarm serve`` process, over a processed dataset."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import requests

from tests.conftest import ServerProcess
from tests.core.retrieval.corpus import DOCS, config

NS, PROJECT = "clirag", "rag"  # a namespace of its own on the CLI tests' shared server


def run_cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llamafarm_server.cli", "rag", *args, "--server", server.url],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )


def process(server: ServerProcess) -> None:
    base = f"{server.url}/v1/projects/{NS}/{PROJECT}"
    resp = requests.post(f"{base}/datasets/docs/process", timeout=600)
    assert resp.status_code < 300, resp.text
    task_id = resp.json().get("task_id")
    deadline = time.monotonic() + 300
    while task_id and time.monotonic() < deadline:
        task = requests.get(f"{base}/tasks/{task_id}", timeout=30).json()
        if task.get("state") in ("SUCCESS", "FAILURE", "REVOKED"):
            assert task["state"] == "SUCCESS", task
            return
        time.sleep(0.5)
    assert not task_id, "processing did not finish"


def test_query_health_and_documents_from_the_command_line(cli_server: ServerProcess) -> None:
    server = cli_server
    assert (
        requests.post(f"{server.url}/v1/projects/{NS}", json={"name": PROJECT}, timeout=30).status_code == 201
    )
    cfg = config()
    cfg["rag"]["databases"] = cfg["rag"]["databases"][:1]
    cfg["rag"]["databases"][0]["name"] = "main_db"
    resp = requests.put(f"{server.url}/v1/projects/{NS}/{PROJECT}", json={"config": cfg}, timeout=30)
    assert resp.status_code == 200, resp.text
    base = f"{server.url}/v1/projects/{NS}/{PROJECT}/datasets"
    assert requests.post(base, json={"name": "docs", "data_processing_strategy": "markdown"}, timeout=30).ok
    files = [("files", (name, DOCS[name])) for name in ("bees.md", "zq7-manual.md", "volcano.md")]
    assert requests.post(f"{base}/docs/data/bulk", files=files, timeout=120).ok
    process(server)

    out = run_cli(
        server, "query", NS, PROJECT, "honeybees dance", "--top-k", "2", "--filter", "category=biology"
    )
    assert out.returncode == 0, out.stderr
    assert "results from main_db (semantic" in out.stdout and "bees.md" in out.stdout
    assert "volcano.md" not in out.stdout

    lexical = run_cli(server, "query", NS, PROJECT, "ZQ7", "--strategy", "keywords")
    assert lexical.returncode == 0 and "1 results" in lexical.stdout and "zq7-manual.md" in lexical.stdout

    bad = run_cli(server, "query", NS, PROJECT, "x", "--database", "nowhere")
    assert bad.returncode == 1 and "error (400)" in bad.stderr and "known databases" in bad.stderr

    health = run_cli(server, "health", NS, PROJECT)
    assert health.returncode == 0 and "overall: healthy" in health.stdout and "3 documents" in health.stdout
    docs = run_cli(server, "documents", NS, PROJECT, "main_db")
    assert docs.returncode == 0 and "zq7-manual.md" in docs.stdout and "3 documents, 3 chunks" in docs.stdout
