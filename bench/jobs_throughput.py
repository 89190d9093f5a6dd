"""Processing throughput through the job queue: files per job × worker processes.

    .venv/bin/python bench/jobs_throughput.py [--limit 200] [--configs 1x1,16x1,16x2]

For each ``FILESxWORKERS`` config: starts a real ``llamafarm serve`` (embedded Redis, temp
data dir) with ``LF_JOB_BATCH_FILES=FILES`` and ``--workers WORKERS``, warms the workers up
(one tiny task each, so model loading is not timed), uploads ``--limit`` Cranfield abstracts
(one .txt each), processes them with ``async_processing=true`` and times POST → SUCCESS.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_cranfield import CRAN, check, free_port, read_docs  # noqa: E402
from lf_serve import wait_task  # noqa: E402

NS, PROJECT = "bench", "jobs"


def serve(data_dir: Path, batch: int, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "LF_DATA_DIR": str(data_dir), "LF_JOB_BATCH_FILES": str(batch)}
    env.pop("LF_REDIS_URL", None)
    log = open(data_dir.parent / f"serve-{batch}x{workers}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llamafarm_server.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            health = requests.get(url + "/health", timeout=5).json()
            if health["details"].get("workers") == f"{workers} alive":
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.terminate()
    sys.exit("server or workers did not start in 120 s")


def process(url: str, dataset: str, texts: list[tuple[str, str]]) -> float:
    """Upload ``texts`` into a new dataset, process asynchronously; seconds POST → SUCCESS."""
    base = f"{url}/v1/projects/{NS}/{PROJECT}/datasets"
    check(requests.post(base, json={"name": dataset, "data_processing_strategy": "universal_processor"}))
    for start in range(0, len(texts), 100):
        files = [("files", (f"{i}.txt", t.encode(), "text/plain")) for i, t in texts[start : start + 100]]
        check(requests.post(f"{base}/{dataset}/data/bulk", files=files, timeout=300))
    began = time.monotonic()
    with requests.Session() as session:
        answer = check(session.post(f"{base}/{dataset}/process", params={"async_processing": "true"}))
        task = wait_task(session, f"{url}/v1/projects/{NS}/{PROJECT}", answer)
    seconds = time.monotonic() - began
    result = task.get("result") or {}
    if task.get("state") != "SUCCESS" or result.get("failed_files"):
        sys.exit(f"processing failed: {task.get('error') or result.get('details', [])[:3]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--configs", default="1x1,16x1,16x2", help="FILESxWORKERS, comma-separated")
    args = parser.parse_args()
    docs = read_docs(CRAN)[: args.limit]
    rows = []
    for config in args.configs.split(","):
        batch, workers = (int(x) for x in config.split("x"))
        tmp = Path(tempfile.mkdtemp(prefix="lf-jobs-bench-"))
        proc, url = serve(tmp / "data", batch, workers)
        try:
            check(requests.post(f"{url}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}))
            # one job per worker, so every worker has loaded the model before timing
            warm = [(f"w{i}", f"Warm-up text {i} about the boundary layer.") for i in range(batch * workers)]
            process(url, "warm", warm)
            seconds = process(url, "cranfield", docs)
        finally:
            proc.terminate()
            proc.wait(60)
            shutil.rmtree(tmp, ignore_errors=True)
        rows.append((batch, workers, len(docs), seconds))
        print(f"  {batch:>2} files/job × {workers} worker(s): {len(docs) / seconds:6.1f} docs/s", flush=True)

    print(f"\n{'files/job':>9} {'workers':>7} {'docs':>5} {'seconds':>8} {'docs/s':>7}")
    for batch, workers, n, seconds in rows:
        print(f"{batch:>9} {workers:>7} {n:>5} {seconds:>8.1f} {n / seconds:>7.1f}")
    print(f"\n(load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
