"""A load run on loopback: concurrent clients mixing ``rag/query`` and streaming chat, then
``rag/query`` latency while a worker ingests vs idle. Prints tables; asserts nothing.

    .venv/bin/python bench/load.py [--clients 32] [--seconds 30] [--docs 300] [--chat-share 0.25]

1. A real ``llamafarm serve`` (own Redis, one worker), a project from the ``rag`` template,
   ``--docs`` Cranfield abstracts uploaded and processed.
2. **Mixed load**: ``--clients`` threads, each on its own keep-alive connection, for
   ``--seconds``: each request is a streaming ``chat/completions`` (``max_tokens`` 8, RAG on,
   no session) with probability ``--chat-share``, else a ``rag/query`` (hybrid, the
   default). Any non-2xx answer, broken stream or exception counts as an error, except a
   chat turn the server refused with 503 + ``Retry-After`` (its bounded model queue, see
   LF_CHAT_QUEUE): counted as "refused", the client waits and goes on.
3. **Query under ingestion**: sequential ``rag/query`` while nothing runs (idle), then while
   the worker processes the next ``--ingest-docs`` abstracts (queries run until the task
   ends). Target: p95 under ingestion ≤ 3 × idle p95.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cranfield import read_docs  # noqa: E402
from lf_serve import Serve, check, machine, p50, pct, rag_project, stream_chat  # noqa: E402
from query_latency import read_queries  # noqa: E402

NS, PROJECT, DATASET = "bench", "load", "docs"
JSON = {"Content-Type": "application/json"}


def upload_and_process(session: requests.Session, base: str, docs: list[tuple[str, str]]) -> str:
    for i in range(0, len(docs), 200):
        files = [("files", (f"cran_{d}.txt", t.encode())) for d, t in docs[i : i + 200]]
        check(session.post(f"{base}/datasets/{DATASET}/data/bulk", files=files, timeout=600))
    # async: answered at once with a task id, so queries can run while the worker ingests
    answer = check(
        session.post(f"{base}/datasets/{DATASET}/process", params={"async_processing": "true"}, timeout=600)
    )
    return str(answer["task_id"])


def task_done(session: requests.Session, base: str, task_id: str) -> bool:
    if not task_id:
        return True
    task = check(session.get(f"{base}/tasks/{task_id}", timeout=60))
    return task.get("state") in ("SUCCESS", "FAILURE", "REVOKED")


def query(session: requests.Session, base: str, q: str) -> float:
    t0 = time.perf_counter()
    resp = session.post(
        f"{base}/rag/query", data=json.dumps({"query": q, "top_k": 5}), headers=JSON, timeout=300
    )
    elapsed = (time.perf_counter() - t0) * 1000
    if resp.status_code != 200 or "results" not in resp.json():
        raise RuntimeError(f"rag/query -> {resp.status_code}: {resp.text[:200]}")
    return elapsed


def chat(session: requests.Session, base: str, q: str) -> float:
    t0 = time.perf_counter()
    stream_chat(session, base, q)
    return (time.perf_counter() - t0) * 1000


def mixed_load(base: str, queries: list[str], clients: int, seconds: float, chat_share: float) -> dict:
    results: dict[str, list[float]] = {"rag/query": [], "chat (stream)": []}
    errors: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        while time.monotonic() < stop_at:
            kind = "chat (stream)" if rng.random() < chat_share else "rag/query"
            q = rng.choice(queries)
            try:
                elapsed = chat(session, base, q) if kind.startswith("chat") else query(session, base, q)
                with lock:
                    results[kind].append(elapsed)
            except Exception as err:  # every failure is an error of the run, reported
                with lock:
                    if str(err).startswith("chat -> 503") and "busy" in str(err):
                        refused.append(f"{kind}: {err}")
                    else:
                        errors.append(f"{kind}: {err}")
                if str(err).startswith("chat -> 503"):
                    time.sleep(1)  # as Retry-After asks (at least a second)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"results": results, "errors": errors, "refused": refused, "wall": time.perf_counter() - started}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--ingest-docs", type=int, default=300)
    ap.add_argument("--idle-queries", type=int, default=100)
    ap.add_argument("--chat-share", type=float, default=0.25)
    args = ap.parse_args()
    docs = read_docs()
    queries = read_queries()
    with tempfile.TemporaryDirectory(prefix="lf-loadbench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        with Serve(data_dir) as serve:
            session = requests.Session()
            base = rag_project(session, serve.url, NS, PROJECT, DATASET)
            task = upload_and_process(session, base, docs[: args.docs])
            while not task_done(session, base, task):
                time.sleep(0.5)
            chat(session, base, "hello")  # load the model once before the clock starts
            mixed = mixed_load(base, queries, args.clients, args.seconds, args.chat_share)

            for q in queries[:10]:
                query(session, base, q)
            idle = [query(session, base, queries[i % len(queries)]) for i in range(args.idle_queries)]
            task = upload_and_process(session, base, docs[args.docs : args.docs + args.ingest_docs])
            busy: list[float] = []
            i = 0
            while not task_done(session, base, task) or len(busy) < 10:
                busy.append(query(session, base, queries[i % len(queries)]))
                i += 1

    print(f"\nLoad on loopback; {machine()}\n")
    print(
        f"Mixed: {args.clients} clients for {args.seconds:.0f} s (chat share {args.chat_share}), "
        f"{sum(len(v) for v in mixed['results'].values())} requests in {mixed['wall']:.1f} s, "
        f"errors: {len(mixed['errors'])} (target 0), chat turns refused with 503 + Retry-After: "
        f"{len(mixed['refused'])}\n"
    )
    print("| request | count | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for kind, times in mixed["results"].items():
        if times:
            print(f"| {kind} | {len(times)} | {p50(times):.0f} | {pct(times, 0.95):.0f} |")
    for err in mixed["errors"][:5]:
        print(f"error: {err}", file=sys.stderr)
    ratio = pct(busy, 0.95) / pct(idle, 0.95)
    print("\nrag/query (hybrid) one client at a time, idle vs while the worker ingests\n")
    print("| phase | queries | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    print(f"| idle | {len(idle)} | {p50(idle):.1f} | {pct(idle, 0.95):.1f} |")
    print(
        f"| worker ingesting {args.ingest_docs} docs | {len(busy)} | {p50(busy):.1f} | {pct(busy, 0.95):.1f} |"
    )
    print(f"| p95 ratio (target ≤ 3) | | | {ratio:.2f} |")


if __name__ == "__main__":
    main()
