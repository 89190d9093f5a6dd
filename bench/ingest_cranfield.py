"""Ingest the 1,400 Cranfield abstracts through the HTTP API and compare with the embedder's
raw speed on the same texts.

    .venv/bin/python bench/ingest_cranfield.py [--limit N] [--batch 200]

Starts a real ``llamafarm serve`` (temp data dir, free port), creates a project from the
``rag`` template (embedded Chroma, bundled all-MiniLM-L6-v2), uploads one .txt per document
(text = the .W field) with bulk uploads, processes the dataset, then encodes the same texts
directly with sentence-transformers. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from cranfield import CRAN, read_docs

NS, PROJECT, DATASET = "bench", "cranfield", "cranfield"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, job_batch: int | None) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = data_dir.parent / "serve.log"
    env = {**os.environ, "LF_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if job_batch:
        env["LF_JOB_BATCH_FILES"] = str(job_batch)
    proc = subprocess.Popen(
        [sys.executable, "-m", "llamafarm_server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=open(log, "wb"),  # noqa: SIM115 (the child keeps it for its lifetime)
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url + "/health/liveness", timeout=2)
            return proc, url, log
        except requests.RequestException:
            time.sleep(0.3)
    proc.terminate()
    sys.exit("server did not start in 120 s")


def check(resp: requests.Response) -> dict:
    if resp.status_code >= 400:
        sys.exit(f"{resp.request.method} {resp.url} -> {resp.status_code}: {resp.text[:2000]}")
    return resp.json()


def process(url: str) -> dict:
    """Process synchronously; if the server answers with a task, poll it to the end."""
    base = f"{url}/v1/projects/{NS}/{PROJECT}"
    data = check(requests.post(f"{base}/datasets/{DATASET}/process", timeout=7200))
    task_id = data.get("task_id")
    while task_id:
        task = check(requests.get(f"{base}/tasks/{task_id}", timeout=60))
        if task.get("state") in ("SUCCESS", "FAILURE", "REVOKED"):
            return task.get("result") or task
        time.sleep(1)
    return data


def raw_encode(texts: list[str]) -> float:
    from sentence_transformers import SentenceTransformer

    from llamafarm_core.bundled import minilm_path

    model = SentenceTransformer(str(minilm_path()), device="cpu")
    model.encode(texts[:32], batch_size=32)  # warm-up
    start = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents")
    ap.add_argument("--batch", type=int, default=200, help="files per bulk upload")
    ap.add_argument("--job-batch", type=int, default=None, help="LF_JOB_BATCH_FILES for the server")
    args = ap.parse_args()
    docs = read_docs(CRAN)[: args.limit]
    texts = [text for _, text in docs]
    with tempfile.TemporaryDirectory(prefix="lf-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        proc, url, log = start_server(data_dir, args.job_batch)
        try:
            check(requests.post(f"{url}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}))
            base = f"{url}/v1/projects/{NS}/{PROJECT}/datasets"
            check(
                requests.post(base, json={"name": DATASET, "data_processing_strategy": "universal_processor"})
            )
            start = time.perf_counter()
            for i in range(0, len(docs), args.batch):
                files = [("files", (f"cran_{d}.txt", t.encode())) for d, t in docs[i : i + args.batch]]
                res = check(requests.post(f"{base}/{DATASET}/data/bulk", files=files, timeout=600))
                if res["failed"]:
                    sys.exit(f"upload failures: {[f for f in res['files'] if f['status'] == 'failed'][:3]}")
            upload_s = time.perf_counter() - start
            start = time.perf_counter()
            report = process(url)
            process_s = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(30)
        details = report.get("details", [])
        chunks = sum(d.get("chunks", 0) for d in details if d.get("status") == "processed")
        processed = sum(1 for d in details if d.get("status") == "processed")
        failed = [d for d in details if d.get("status") == "failed"]
        if failed:
            print(f"{len(failed)} files failed, e.g. {failed[0].get('reason')}", file=sys.stderr)
    raw_s = raw_encode(texts)
    n = len(docs)
    batch = args.job_batch or os.environ.get("LF_JOB_BATCH_FILES") or "default"
    print(
        f"\nCranfield ingest, {n} documents, {processed} processed, {chunks} chunks (files per job: {batch})\n"
    )
    print("| stage | seconds | docs/s | chunks/s |")
    print("|---|---:|---:|---:|")
    print(f"| bulk upload (HTTP) | {upload_s:.1f} | {n / upload_s:.1f} | |")
    print(
        f"| process (HTTP, parse+embed+store) | {process_s:.1f} | {processed / process_s:.1f} | {chunks / process_s:.1f} |"
    )
    print(f"| upload + process | {upload_s + process_s:.1f} | {n / (upload_s + process_s):.1f} | |")
    print(f"| raw sentence-transformers encode of the same texts | {raw_s:.1f} | {n / raw_s:.1f} | |")


if __name__ == "__main__":
    main()
