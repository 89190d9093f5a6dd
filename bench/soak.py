"""Soak: a bounded mixed load on loopback for N minutes; counts errors (must be 0) and
samples the RSS of the server, its worker and the worker's parsing child over time.

    .venv/bin/python bench/soak.py [--minutes 10] [--clients 3] [--sample 30]

A real ``llamafarm serve`` (own Redis, one worker) with a project from the ``rag`` template.
``--clients`` threads, each on its own keep-alive connection, loop over a weighted mix:
bulk uploads of 1-3 Cranfield abstracts (made unique, so the dataset keeps growing), queued
processing (``async_processing``), ``rag/query``, streaming chat (bundled model, 8 tokens,
RAG on) and removal of an uploaded file (with its chunks). Once the dataset holds
``--max-files`` files an upload turns into a removal, so the data reaches a steady state and
RSS growth means a leak, not more data. Any non-2xx answer, broken
stream, exception or task ending in FAILURE is an error. At the end every queued task is
awaited. Prints the RSS table and the per-operation counts and latencies, and writes
bench/results/soak.json. Asserts nothing.
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

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cranfield import read_docs  # noqa: E402
from lf_serve import Serve, machine, p50, pct, rag_project, stream_chat  # noqa: E402
from query_latency import read_queries  # noqa: E402

NS, PROJECT, DATASET = "bench", "soak", "docs"
JSON = {"Content-Type": "application/json"}
MIX = {"upload": 3, "process": 1, "query": 5, "chat": 1, "delete": 1}
MiB = 1024 * 1024


class Soak:
    def __init__(self, base: str, docs: list[tuple[str, str]], queries: list[str], max_files: int) -> None:
        self.base = base
        self.max_files = max_files
        self.docs = docs
        self.queries = queries
        self.lock = threading.Lock()
        self.hashes: list[str] = []
        self.tasks: list[str] = []
        self.counter = 0
        self.latency: dict[str, list[float]] = {op: [] for op in MIX}
        self.errors: list[str] = []

    # -- operations ------------------------------------------------------------------------

    def upload(self, s: requests.Session, rng: random.Random) -> None:
        with self.lock:
            full = len(self.hashes) >= self.max_files
        if full:  # the dataset stays bounded: at the cap an upload becomes a removal
            return self.delete(s, rng)
        files = []
        for _ in range(rng.randint(1, 3)):
            with self.lock:
                self.counter += 1
                n = self.counter
            doc_id, text = self.docs[n % len(self.docs)]
            files.append(("files", (f"cran_{doc_id}_{n}.txt", f"{text}\n\nsoak copy {n}".encode())))
        body = check_ok(s.post(f"{self.base}/datasets/{DATASET}/data/bulk", files=files, timeout=300))
        if body["failed"]:
            raise RuntimeError(f"bulk upload failed files: {body['files']}")
        with self.lock:
            self.hashes.extend(f["hash"] for f in body["files"] if f.get("hash"))

    def process(self, s: requests.Session, rng: random.Random) -> None:
        answer = check_ok(
            s.post(
                f"{self.base}/datasets/{DATASET}/process", params={"async_processing": "true"}, timeout=300
            )
        )
        if answer.get("task_id"):
            with self.lock:
                self.tasks.append(answer["task_id"])

    def query(self, s: requests.Session, rng: random.Random) -> None:
        body = {"query": rng.choice(self.queries), "top_k": 5}
        answer = check_ok(s.post(f"{self.base}/rag/query", data=json.dumps(body), headers=JSON, timeout=300))
        if "results" not in answer:
            raise RuntimeError(f"rag/query without results: {str(answer)[:200]}")

    def chat(self, s: requests.Session, rng: random.Random) -> None:
        stream_chat(s, self.base, rng.choice(self.queries))

    def delete(self, s: requests.Session, rng: random.Random) -> None:
        with self.lock:
            if len(self.hashes) < 10:  # keep something to search
                return
            file_hash = self.hashes.pop(rng.randrange(len(self.hashes)))
        check_ok(
            s.delete(
                f"{self.base}/datasets/{DATASET}/data/{file_hash}",
                params={"remove_from_disk": "true"},
                timeout=300,
            )
        )

    # -- driver ----------------------------------------------------------------------------

    def client(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        ops, weights = list(MIX), list(MIX.values())
        while time.monotonic() < until:
            op = rng.choices(ops, weights)[0]
            t0 = time.perf_counter()
            try:
                getattr(self, op)(session, rng)
            except Exception as err:  # every failure is an error of the soak
                with self.lock:
                    self.errors.append(f"{op}: {type(err).__name__}: {str(err)[:300]}")
                continue
            with self.lock:
                self.latency[op].append((time.perf_counter() - t0) * 1000)

    def await_tasks(self, session: requests.Session, timeout: float = 1800) -> dict[str, int]:
        states: dict[str, int] = {}
        deadline = time.monotonic() + timeout
        for task_id in self.tasks:
            while True:
                task = check_ok(session.get(f"{self.base}/tasks/{task_id}", timeout=60))
                state = task.get("state", "?")
                if state in ("SUCCESS", "FAILURE", "REVOKED") or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            states[state] = states.get(state, 0) + 1
            if state != "SUCCESS":
                self.errors.append(f"task {task_id} ended {state}: {str(task.get('error'))[:300]}")
        return states


def check_ok(resp: requests.Response) -> dict:
    if resp.status_code >= 300:
        raise RuntimeError(f"{resp.request.method} {resp.url} -> {resp.status_code}: {resp.text[:300]}")
    return resp.json()


def rss(serve_pid: int) -> dict[str, float]:
    """MiB of the server, its worker(s) and the workers' parsing children (by role)."""
    out = {"server": 0.0, "worker": 0.0, "parse child": 0.0}
    try:
        server = psutil.Process(serve_pid)
        out["server"] = server.memory_info().rss / MiB
        for child in server.children():
            cmd = " ".join(child.cmdline())
            if " worker" in cmd:
                out["worker"] += child.memory_info().rss / MiB
                for grandchild in child.children():
                    if "isolation" in " ".join(grandchild.cmdline()):
                        out["parse child"] += grandchild.memory_info().rss / MiB
    except psutil.Error:
        pass
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    ap.add_argument("--seed-docs", type=int, default=50, help="abstracts processed before the clock starts")
    ap.add_argument("--max-files", type=int, default=150, help="files in the dataset at most (steady state)")
    ap.add_argument(
        "--only", choices=list(MIX), action="append", help="run only these operations (repeatable)"
    )
    args = ap.parse_args()
    if args.only:  # e.g. to find which operation makes a process grow
        for op in list(MIX):
            if op not in args.only:
                del MIX[op]
    docs = read_docs()
    queries = read_queries()
    with tempfile.TemporaryDirectory(prefix="lf-soak-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        with Serve(data_dir) as serve:
            session = requests.Session()
            base = rag_project(session, serve.url, NS, PROJECT, DATASET)
            soak = Soak(base, docs, queries, args.max_files)
            rng = random.Random(0)
            for _ in range(max(1, args.seed_docs // 3)):
                soak.upload(session, rng)
            soak.process(session, rng)
            soak.await_tasks(session)
            soak.tasks.clear()
            soak.chat(session, rng)  # the model loaded before the clock starts
            soak.query(session, rng)

            samples: list[tuple[float, dict[str, float]]] = []
            start = time.monotonic()
            until = start + args.minutes * 60
            threads = [
                threading.Thread(target=soak.client, args=(i, until), daemon=True)
                for i in range(args.clients)
            ]
            for t in threads:
                t.start()
            while time.monotonic() < until:
                samples.append((time.monotonic() - start, {**rss(serve.proc.pid), "files": len(soak.hashes)}))
                print(
                    f"  {samples[-1][0]:6.0f} s  "
                    + "  ".join(f"{k} {v:7.1f}" for k, v in samples[-1][1].items()),
                    flush=True,
                )
                time.sleep(min(args.sample, max(0.0, until - time.monotonic())))
            for t in threads:
                t.join()
            samples.append((time.monotonic() - start, {**rss(serve.proc.pid), "files": len(soak.hashes)}))
            states = soak.await_tasks(session)
            samples.append((time.monotonic() - start, {**rss(serve.proc.pid), "files": len(soak.hashes)}))

    report(args, soak, samples, states)


def report(
    args: argparse.Namespace,
    soak: Soak,
    samples: list[tuple[float, dict[str, float]]],
    states: dict[str, int],
) -> None:
    print(f"\nSoak: {args.minutes:g} min, {args.clients} clients, {machine()}")
    print(
        "\n| t (s) | files | server RSS (MiB) | worker RSS (MiB) | parse child RSS (MiB) |\n|---|---|---|---|---|"
    )
    for t, r in samples:
        files = r.get("files", "")
        print(f"| {t:.0f} | {files} | {r['server']:.0f} | {r['worker']:.0f} | {r['parse child']:.0f} |")
    print("\n| operation | count | p50 ms | p95 ms |\n|---|---|---|---|")
    for op, values in soak.latency.items():
        if values:
            print(f"| {op} | {len(values)} | {p50(values):.0f} | {pct(values, 0.95):.0f} |")
    print(f"\ntasks: {states}; errors: {len(soak.errors)}")
    for error in soak.errors[:20]:
        print("  " + error)
    out = Path(__file__).resolve().parent / "results" / "soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "minutes": args.minutes,
                "clients": args.clients,
                "machine": machine(),
                "rss_mib": [{"t": round(t), **{k: round(v, 1) for k, v in r.items()}} for t, r in samples],
                "operations": {op: len(v) for op, v in soak.latency.items()},
                "tasks": states,
                "errors": soak.errors,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
