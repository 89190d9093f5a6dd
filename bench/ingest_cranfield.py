"""Ingest the 1,400 Cranfield abstracts through the HTTP API and compare with the floor.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/ingest_cranfield.py [--limit N] [--batch 200]
        [--compare /work/base] [--cores 0|0,1] [--job-batch N]

Starts a real ``llamafarm serve`` (temp data dir, free port), creates a project from the
``rag`` template (embedded Chroma, bundled all-MiniLM-L6-v2), warms the workers up, uploads
one .txt per document (text = the .W field) with bulk uploads and processes the dataset.
Then, in this process, times the floors: sentence-transformers ``encode`` (batch 32, float32)
of the 1,400 whole texts, and a raw encode of exactly the chunk texts the run stored
(pipeline efficiency) in the precision the template's embedder runs its batches in (its
``fast``: bfloat16 on a CPU with AMX, else int8 on x86-64 with AVX2). For ``int8`` that is
the product's embedder alone, in its lanes, since sentence-transformers has no int8 path;
for bfloat16 or float32, sentence-transformers' ``encode``. float32 rows of the same chunks
are printed for reference.
``--precision float32`` (or ``bfloat16``) sets the project's embedder to that precision
before uploading, in both runs, and times the chunk floor in it: the pipeline's own cost around
the issue's float32 encoder, beside the template's int8.
``--compare PATH`` first runs the same ingest with another checkout (PYTHONPATH), so before
and after are measured in one run. ``--cores`` runs serve with ``--workers 0`` and one worker
pinned per core (``taskset``; see bench/ingest_scaleout.py). Prints a table and writes
bench/results/ingest*.json; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cranfield import CRAN, read_docs
from lf_serve import check, free_port, wait_task

NS, PROJECT, DATASET = "bench", "cranfield", "cranfield"


def start_server(
    data_dir: Path,
    job_batch: int | None,
    *,
    code: Path | None = None,
    workers: int | None = None,
) -> tuple[subprocess.Popen, str, Path]:
    """``llamafarm serve`` on a free port; ``code``: run that checkout instead (PYTHONPATH)."""
    port = free_port()
    log = data_dir.parent / "serve.log"
    env = server_env(data_dir, code)
    if job_batch:
        env["LF_JOB_BATCH_FILES"] = str(job_batch)
    cmd = [sys.executable, "-m", "llamafarm_server.cli", "serve", "--port", str(port)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=code,  # ``-m`` puts the working directory first on sys.path
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


def server_env(data_dir: Path, code: Path | None) -> dict[str, str]:
    env = {**os.environ, "LF_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if code is not None:
        env["PYTHONPATH"] = f"{code}:{code / 'plugins'}"
    return env


def start_pinned_workers(data_dir: Path, code: Path | None, cores: list[int]) -> list[subprocess.Popen]:
    """One ``llamafarm worker`` per core, pinned with taskset (serve runs with --workers 0)."""
    procs = []
    for core in cores:
        log = open(data_dir.parent / f"worker-{core}.log", "wb")  # noqa: SIM115
        cmd = ["taskset", "-c", str(core), sys.executable, "-m", "llamafarm_server.cli", "worker"]
        cmd += ["--data-dir", str(data_dir), "--name", f"bench-{core}"]
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=code,
                env=server_env(data_dir, code),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return procs


def process(url: str, dataset: str = DATASET) -> dict:
    """Process; if the server answers with a task, wait for it (``lf_serve.wait_task``: summary
    polls every 50 ms, so the timed run ends within ~50 ms of the task; polling the full view
    once a second, as this bench did before, added 0.5 s on average to a ~20 s run)."""
    base = f"{url}/v1/projects/{NS}/{PROJECT}"
    with requests.Session() as session:
        data = check(session.post(f"{base}/datasets/{dataset}/process", timeout=7200))
        task = wait_task(session, base, data)
    return task.get("result") or task


def encode_seconds(texts: list[str], batch: int = 32, precision: str = "float32") -> float:
    """The floor: sentence-transformers ``encode`` of ``texts`` in one call (it sorts them by
    character length and cuts batches of ``batch``), model loaded and warmed up first.
    ``precision``: the forward pass's arithmetic (the product's embedder option; the issue's
    floor is plain float32). ``bfloat16``: the model loaded in bfloat16, as the product's
    embedder runs it since the twentieth round; ``autocast``: float32 weights under bfloat16
    autocast, as it ran before (and this floor was measured through the nineteenth round)."""
    import contextlib

    import torch
    from sentence_transformers import SentenceTransformer

    from llamafarm_core.bundled import minilm_path

    weights = {"torch_dtype": torch.bfloat16} if precision == "bfloat16" else None
    model = SentenceTransformer(str(minilm_path()), device="cpu", model_kwargs=weights)
    bf16 = (
        torch.autocast("cpu", dtype=torch.bfloat16) if precision == "autocast" else contextlib.nullcontext()
    )
    with bf16:
        model.encode(texts[:32], batch_size=batch)  # warm-up
        start = time.perf_counter()
        model.encode(texts, batch_size=batch, normalize_embeddings=True)
        return time.perf_counter() - start


def template_precision() -> str:
    """The precision the rag template's embedder resolves to on this machine."""
    from llamafarm_core.config.templates import render

    config = render("rag", name="bench", namespace="bench", templates_dir=Path(tempfile.gettempdir()))
    strategy = config["rag"]["databases"][0]["embedding_strategies"][0]
    return resolve(strategy.get("config", {}).get("precision", "auto"))


def resolve(precision: str) -> str:
    """What an embedder configured with ``precision`` runs in on this machine's CPU."""
    from llamafarm_embedders.precision import resolve_precision

    return resolve_precision("cpu", precision)


def embedder_seconds(texts: list[str], precision: str) -> float:
    """The raw encode in int8: the product's embedder alone (one text per forward pass, in
    its lanes, as a worker runs it), model loaded and warmed up first."""
    from llamafarm_embedders.sentence_transformer import (
        SentenceTransformerConfig,
        SentenceTransformerEmbedder,
    )

    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(precision=precision))
    embedder.embed(texts[:32])  # warm-up
    start = time.perf_counter()
    embedder.embed(texts)
    return time.perf_counter() - start


@dataclass
class Run:
    """One ingest through the API."""

    label: str
    upload_s: float
    process_s: float
    processed: int
    chunks: int
    failed: int
    chunk_texts: list[str] = field(default_factory=list, repr=False)

    def row(self, n: int) -> dict[str, float | int | str]:
        total = self.upload_s + self.process_s
        return {
            "label": self.label,
            "docs": n,
            "chunks": self.chunks,
            "upload_s": round(self.upload_s, 2),
            "process_s": round(self.process_s, 2),
            "docs_per_s": round(n / total, 2),
            "process_docs_per_s": round(self.processed / self.process_s, 2),
            "chunks_per_s": round(self.chunks / self.process_s, 2),
        }


def ingest(
    docs: list[tuple[str, str]],
    label: str,
    *,
    code: Path | None = None,
    job_batch: int | None = None,
    cores: list[int] | None = None,
    batch: int = 200,
    precision: str | None = None,
    workers: int | None = None,
) -> Run:
    """Upload ``docs`` as .txt files and process them through a fresh server (temp data dir).

    Model loading is not timed (the floor does not time it either): workers load the model
    before they take jobs (``LF_WORKER_WARM_UP``, on by default; the baseline's workers do not),
    and a one-file dataset is processed first, which warms at least one worker of the
    baseline. ``cores``: serve with ``--workers 0`` and one worker pinned to each core
    (taskset). ``workers``: serve's ``--workers`` (unpinned; default: serve's own).
    ``code``: another checkout (e.g. the baseline).
    """
    with tempfile.TemporaryDirectory(prefix="lf-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        proc, url, _log = start_server(data_dir, job_batch, code=code, workers=0 if cores else workers)
        pinned = start_pinned_workers(data_dir, code, cores) if cores else []
        try:
            check(requests.post(f"{url}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}))
            if precision:
                set_precision(url, precision)
            base = f"{url}/v1/projects/{NS}/{PROJECT}/datasets"
            for name in ("warm", DATASET):
                body = {"name": name, "data_processing_strategy": "universal_processor"}
                check(requests.post(base, json=body))
            warm = [("files", ("warm.txt", b"Warming up the embedder of every worker."))]
            check(requests.post(f"{base}/warm/data/bulk", files=warm, timeout=600))
            process(url, "warm")
            start = time.perf_counter()
            for i in range(0, len(docs), batch):
                files = [("files", (f"cran_{d}.txt", t.encode())) for d, t in docs[i : i + batch]]
                res = check(requests.post(f"{base}/{DATASET}/data/bulk", files=files, timeout=600))
                if res["failed"]:
                    sys.exit(f"upload failures: {[f for f in res['files'] if f['status'] == 'failed'][:3]}")
            upload_s = time.perf_counter() - start
            start = time.perf_counter()
            report = process(url)
            process_s = time.perf_counter() - start
        finally:
            for w in pinned:
                w.terminate()
            proc.terminate()
            proc.wait(30)
            for w in pinned:
                w.wait(30)
        details = report.get("details", [])
        chunks = sum(d.get("chunks", 0) for d in details if d.get("status") == "processed")
        processed = sum(1 for d in details if d.get("status") == "processed")
        failed = [d for d in details if d.get("status") == "failed"]
        if failed:
            print(f"{label}: {len(failed)} files failed, e.g. {failed[0].get('reason')}", file=sys.stderr)
        texts = stored_chunk_texts(data_dir)
    return Run(label, upload_s, process_s, processed, chunks, len(failed), texts)


def set_precision(url: str, precision: str) -> None:
    """Set every embedder of the bench project to ``precision`` (PUT of its config)."""
    where = f"{url}/v1/projects/{NS}/{PROJECT}"
    config = check(requests.get(where))["project"]["config"]
    for database in config["rag"]["databases"]:
        for strategy in database.get("embedding_strategies", []):
            strategy.setdefault("config", {})["precision"] = precision
    check(requests.put(where, json={"config": config}))


def stored_chunk_texts(data_dir: Path) -> list[str]:
    """Every chunk text in the run's Chroma database (to time a raw encode of the same texts)."""
    import chromadb

    texts: list[str] = []
    for sqlite in data_dir.rglob("chroma.sqlite3"):
        client = chromadb.PersistentClient(path=str(sqlite.parent))
        for collection in client.list_collections():
            got = client.get_collection(collection.name).get(include=["documents"])
            texts += [t for t in got["documents"] or [] if t]
    return texts


def save_results(name: str, data: dict) -> Path:
    """Write ``bench/results/{name}.json`` (gitignored), read by bench/peers/chart.py."""
    out = Path(__file__).resolve().parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(data, indent=2))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents")
    ap.add_argument("--batch", type=int, default=200, help="files per bulk upload")
    ap.add_argument("--job-batch", type=int, default=None, help="LF_JOB_BATCH_FILES for the server")
    ap.add_argument(
        "--compare", type=Path, default=None, help="also run this checkout first (e.g. /work/base)"
    )
    ap.add_argument("--cores", default=None, help="pin one worker per listed core, e.g. 0 or 0,1")
    ap.add_argument("--workers", type=int, default=None, help="serve --workers N (unpinned)")
    ap.add_argument(
        "--precision", default=None, help="the project's embedder precision (default: the template's)"
    )
    args = ap.parse_args()
    docs = read_docs(CRAN)[: args.limit]
    texts = [text for _, text in docs]
    cores = [int(c) for c in args.cores.split(",")] if args.cores else None
    runs = []
    if args.compare:
        runs.append(
            ingest(
                docs,
                "before",
                code=args.compare.resolve(),
                job_batch=args.job_batch,
                cores=cores,
                precision=args.precision,
                workers=args.workers,
            )
        )
    runs.append(
        ingest(
            docs,
            "after",
            job_batch=args.job_batch,
            cores=cores,
            precision=args.precision,
            workers=args.workers,
        )
    )
    # what the project's embedder runs in here
    served = resolve(args.precision) if args.precision else template_precision()
    floor_s = encode_seconds(texts)
    chunk_s = (
        embedder_seconds(runs[-1].chunk_texts, served)
        if served == "int8"
        else encode_seconds(runs[-1].chunk_texts, precision=served)
    )
    fp32_chunk_s = encode_seconds(runs[-1].chunk_texts) if served != "float32" else chunk_s
    autocast_chunk_s = (
        encode_seconds(runs[-1].chunk_texts, precision="autocast") if served == "bfloat16" else None
    )
    autocast_floor = len(runs[-1].chunk_texts) / autocast_chunk_s if autocast_chunk_s else None
    # The server's embedder runs batches of 16 texts on a CPU (precision.BATCH_ROWS): the same
    # raw encode with that batch size, to show how much of the ratio that choice explains
    # (sentence-transformers has no int8: float32 stands in).
    b16 = "float32" if served == "int8" else served
    b16_chunk_s = encode_seconds(runs[-1].chunk_texts, batch=16, precision=b16)
    n = len(docs)
    floor = n / floor_s
    chunk_floor = len(runs[-1].chunk_texts) / chunk_s
    batch = args.job_batch or os.environ.get("LF_JOB_BATCH_FILES") or "default"
    print(
        f"\nCranfield ingest, {n} documents through the HTTP API (files per job: {batch}, "
        f"workers: {'pinned to ' + args.cores if cores else args.workers or 'serve default'}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')})\n"
    )
    print(
        "| run | chunks | upload s | process s | upload+process docs/s | × floor | process chunks/s | × chunk floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for run in runs:
        row = run.row(n)
        row["x_floor"] = round(row["docs_per_s"] / floor, 3)
        row["x_chunk_floor"] = round(row["chunks_per_s"] / chunk_floor, 3) if run is runs[-1] else None
        rows.append(row)
        xc = f"{row['x_chunk_floor']:.2f}" if row["x_chunk_floor"] is not None else ""
        print(
            f"| {run.label} | {run.chunks} | {run.upload_s:.1f} | {run.process_s:.1f} | {row['docs_per_s']:.1f} "
            f"| {row['x_floor']:.2f} | {row['chunks_per_s']:.1f} | {xc} |"
        )
    print(
        f"| floor: encode of the {n} whole texts, batch 32 | {n} | | {floor_s:.1f} | {floor:.1f} | 1.00 | | |"
    )
    n_chunks = len(runs[-1].chunk_texts)
    how = "the product's embedder alone, its lanes" if served == "int8" else "the server's"
    print(
        f"| chunk floor: encode of the {n_chunks} stored chunk texts, {served} ({how}) | "
        f"{n_chunks} | | {chunk_s:.1f} | | | {chunk_floor:.1f} | 1.00 |"
    )
    if served != "float32":
        print(
            f"| same chunk texts, float32 | {n_chunks} | | {fp32_chunk_s:.1f} | | "
            f"| {n_chunks / fp32_chunk_s:.1f} | {chunk_s / fp32_chunk_s:.2f} |"
        )
    if autocast_chunk_s and autocast_floor:
        print(
            f"| same chunk texts, float32 weights under bfloat16 autocast (this floor through round 19) "
            f"| {n_chunks} | | {autocast_chunk_s:.1f} | | | {autocast_floor:.1f} "
            f"| {chunk_s / autocast_chunk_s:.2f} |"
        )
    print(
        f"| same chunk texts, {b16}, batch 16 | {n_chunks} | | {b16_chunk_s:.1f} | | "
        f"| {n_chunks / b16_chunk_s:.1f} | {chunk_s / b16_chunk_s:.2f} |"
    )
    print(f"\nfloor = float32 encode (sentence-transformers defaults); the server embeds in {served} here.")
    if autocast_floor:
        print(f"process chunks/s × the autocast chunk floor: {rows[-1]['chunks_per_s'] / autocast_floor:.2f}")
    if len(runs) == 2:
        print(f"\nafter / before (upload + process): {rows[1]['docs_per_s'] / rows[0]['docs_per_s']:.2f}×")
    name = "ingest"
    if cores:
        name = f"ingest_cores_{'_'.join(map(str, cores))}"
    elif args.workers is not None:
        name = f"ingest_workers_{args.workers}"
    saved = save_results(
        name,
        {
            "docs": n,
            "floor_docs_per_s": round(floor, 2),
            "chunk_floor_chunks_per_s": round(chunk_floor, 2),
            "chunk_floor_precision": served,
            "chunk_floor_float32_chunks_per_s": round(len(runs[-1].chunk_texts) / fp32_chunk_s, 2),
            "chunk_floor_autocast_chunks_per_s": round(autocast_floor, 2) if autocast_floor else None,
            "chunk_floor_batch16_chunks_per_s": round(len(runs[-1].chunk_texts) / b16_chunk_s, 2),
            "runs": rows,
        },
    )
    print(f"\n(results: {saved})")


if __name__ == "__main__":
    main()
