"""Peak memory of a processing run against the size of the corpus: bounded by a group of
chunks in flight, not by the corpus.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/ingest_memory.py [--mb 1,2,4] [--file-kb 64]
        [--group-chunks N] [--chroma-server] [--embedder bundled|stand-in]

For each size: generates that many megabytes of English-like text (seeded; paragraphs of
words from a fixed vocabulary) as .txt files of ``--file-kb`` each into a temp dir, adds them
to a dataset of a ``rag``-template project (embedded Chroma, bundled all-MiniLM-L6-v2), then
runs ``process_files`` — what a worker runs for a job — in a fresh child process and reports
its peak RSS (``VmHWM``) and the RSS after loading the model (the baseline every worker
pays). ``--mb 1024`` is the 1 GB run: ~8 hours on 2 cores with the bundled model (~40
chunks/s), ~1 hour with ``--embedder stand-in``, which runs the product's ``OpenAIEmbedder``
plugin against bench/standin_embeddings.py (hash vectors over the OpenAI wire protocol).
The model's own memory is bounded by a batch (its padded shapes); the stand-in measures the
rest of the pipeline, which is what could grow with the corpus. ``--group-chunks`` lowers the pipeline's group size (default: the pipeline's) so a
small corpus already spans many groups. Prints a table, writes bench/results/memory.json;
asserts nothing. (The embedded vector store's own index grows with the collection, as any
HNSW index does; that is the store's memory, reported here as part of the peak.
``--chroma-server`` keeps the same database in a ``chroma run`` server instead, the
scale-out setup, where the index lives in that process and not in the worker.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_cranfield import save_results  # noqa: E402
from standin_embeddings import serve_standin  # noqa: E402

CHILD = r"""
import json, sys
def hwm_kb():  # this process's own peak (VmHWM): ru_maxrss may carry the forking parent's
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
from llamafarm_core.malloc_tuning import limit_malloc_arenas
limit_malloc_arenas()  # as a worker does
from llamafarm_core.ingest import pipeline
from llamafarm_core.settings import Settings
if int(sys.argv[1]):
    pipeline.GROUP_CHUNKS = int(sys.argv[1])
settings = Settings.from_env()
registry = pipeline.default_registry()
if sys.argv[2] == "bundled":  # load the model the pipeline uses
    from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder
    SentenceTransformerEmbedder(SentenceTransformerConfig()).embed(["warm up"])
else:  # the stand-in server: import what a call needs
    import chromadb, openai  # noqa: F401
base = hwm_kb()
report = pipeline.process_files(settings, "bench", "memory", "docs", registry=registry)
peak = hwm_kb()
chunks = sum(r.chunks for r in report.results if r.status.value == "processed")
failed = sum(1 for r in report.results if r.status.value == "failed")
print(json.dumps({"model_rss_mb": base / 1024, "peak_rss_mb": peak / 1024, "chunks": chunks, "failed": failed}))
"""

_VOCABULARY = (
    "air flow wing pressure boundary layer shock wave supersonic heat transfer model test "
    "velocity surface theory solution number mach body drag lift data results method effect "
    "the of and in a to is for on by with are at from as be this which that an were it"
)
WORDS = _VOCABULARY.split()


def generate(directory: Path, megabytes: float, file_kb: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    paths, total, target = [], 0, int(megabytes * 1024 * 1024)
    while total < target:
        paragraphs, size = [], 0
        while size < file_kb * 1024:
            sentence_count = rng.randint(3, 8)
            text = " ".join(
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))).capitalize() + "."
                for _ in range(sentence_count)
            )
            paragraphs.append(text)
            size += len(text) + 2
        path = directory / f"doc_{len(paths):06d}.txt"
        path.write_text("\n\n".join(paragraphs))
        paths.append(path)
        total += path.stat().st_size
    return paths


def chroma_server(path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``chroma run`` (shipped in the chromadb wheel) on a free port, answering."""
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    chroma = Path(sys.executable).parent / "chroma"
    argv = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2)
            return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    sys.exit("chroma run did not answer in 60 s")


def measure(
    megabytes: float,
    file_kb: int,
    group_chunks: int,
    server_port: int | None = None,
    standin_url: str | None = None,
) -> dict:
    from llamafarm_core.datasets import DatasetStore
    from llamafarm_core.ingest.pipeline import default_registry
    from llamafarm_core.projects import ProjectRef, ProjectStore
    from llamafarm_core.settings import Settings

    with tempfile.TemporaryDirectory(prefix="lf-mem-") as tmp:
        data_dir, text_dir = Path(tmp) / "data", Path(tmp) / "text"
        text_dir.mkdir()
        files = generate(text_dir, megabytes, file_kb)
        env = {**os.environ, "LF_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        os.environ["LF_DATA_DIR"] = str(data_dir)
        settings = Settings.from_env()
        registry = default_registry()
        projects = ProjectStore(settings, registry)
        ref = ProjectRef("bench", "memory")
        projects.create(ref, "rag")
        config = projects.get(ref).config.model_dump(mode="json", exclude_unset=True)
        database = config["rag"]["databases"][0]
        if server_port is not None:  # the same database, kept by a Chroma server
            database["config"] |= {"host": "127.0.0.1", "port": server_port}
        if standin_url is not None:  # the OpenAIEmbedder plugin, against the stand-in
            database["embedding_strategies"][0] = {
                "name": "default_embeddings",
                "type": "OpenAIEmbedder",
                "config": {"base_url": standin_url, "model": "stand-in", "dimension": 384, "batch_size": 256},
            }
        projects.update(ref, config)
        datasets = DatasetStore(settings, projects, registry)
        datasets.create(ref, "docs", "universal_processor", "main_db")
        uploads = []
        for path in files:
            writer = datasets.writer(ref)
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    writer.write(block)
            uploads.append(datasets.store_upload(ref, writer, path.name, "text/plain"))
        datasets.add_members(ref, "docs", uploads)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(group_chunks), "stand-in" if standin_url else "bundled"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            sys.exit(out.stderr[-3000:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(mb=megabytes, files=len(files))
        return result


def run_size(megabytes: float, args: argparse.Namespace, standin_url: str | None) -> dict:
    """One corpus size, with a fresh Chroma server when asked (its peak RSS reported too)."""
    with tempfile.TemporaryDirectory(prefix="lf-mem-chroma-") as chroma_dir:
        server = chroma_server(Path(chroma_dir)) if args.chroma_server else None
        started = time.perf_counter()
        try:
            row = measure(megabytes, args.file_kb, args.group_chunks, server and server[1], standin_url)
            if server is not None:
                row["store_peak_rss_mb"] = hwm_kb(server[0].pid) / 1024
        finally:
            if server is not None:
                server[0].kill()
                server[0].wait()
    row["seconds"] = time.perf_counter() - started
    return row


def hwm_kb(pid: int) -> int:
    """A process's peak RSS (VmHWM), kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", default="1,2,4", help="corpus sizes in MB, comma-separated (1024 = 1 GB)")
    ap.add_argument("--file-kb", type=int, default=64, help="size of each generated file")
    ap.add_argument("--group-chunks", type=int, default=0, help="pipeline GROUP_CHUNKS (0: default)")
    ap.add_argument(
        "--chroma-server",
        action="store_true",
        help="keep the database in a `chroma run` server (the scale-out setup) instead of embedded Chroma",
    )
    ap.add_argument(
        "--embedder",
        choices=("bundled", "stand-in"),
        default="bundled",
        help="stand-in: the OpenAIEmbedder plugin against bench/standin_embeddings.py (hash vectors, "
        "~100× the model's speed), so 1 GB fits in an hour; measures the pipeline around the embedder",
    )
    args = ap.parse_args()
    rows = []
    standin = serve_standin() if args.embedder == "stand-in" else contextlib.nullcontext(None)
    with standin as standin_url:
        for mb in args.mb.split(","):
            rows.append(run_size(float(mb), args, standin_url))
            print(f"  {mb} MB: {rows[-1]}", file=sys.stderr, flush=True)  # as each size ends
    group = args.group_chunks or "default"
    store = "a Chroma server (chroma run)" if args.chroma_server else "embedded Chroma"
    embedder = (
        "bundled all-MiniLM-L6-v2"
        if args.embedder == "bundled"
        else "stand-in (OpenAIEmbedder → hash vectors)"
    )
    print(
        f"\nPeak RSS of one processing run (child process) vs corpus size (group of chunks: {group}; "
        f"database: {store}; embedder: {embedder})\n"
    )
    print(
        "| corpus MB | files | chunks | RSS before the run MB | peak RSS MB | peak − before MB | store peak RSS MB | s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        store_peak = f"{r['store_peak_rss_mb']:.0f}" if "store_peak_rss_mb" in r else "(in the run)"
        print(
            f"| {r['mb']:g} | {r['files']} | {r['chunks']} | {r['model_rss_mb']:.0f} | {r['peak_rss_mb']:.0f} "
            f"| {r['peak_rss_mb'] - r['model_rss_mb']:.0f} | {store_peak} | {r['seconds']:.0f} |"
        )
    name = "memory-chroma-server" if args.chroma_server else "memory"
    if args.embedder != "bundled":
        name += "-standin"
    results = {"group_chunks": group, "store": store, "embedder": embedder, "runs": rows}
    print(f"\n(results: {save_results(name, results)})")


if __name__ == "__main__":
    main()
