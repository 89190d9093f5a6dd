"""``rag/query`` latency over HTTP against the in-process floor, at Cranfield size and on a
synthetic 100k-chunk corpus. Prints tables; asserts nothing.

    .venv/bin/python bench/query_latency.py [--corpus cranfield,synthetic] [--chunks 100000]
                                            [--queries 200]

- **cranfield**: a real ``llamafarm serve`` (own Redis, one worker), a project from the
  ``rag`` template (embedded Chroma, bundled all-MiniLM-L6-v2), the 1,400 abstracts uploaded
  as .txt through the API and processed by the worker; then the 225 Cranfield queries
  (cycled) through ``POST …/rag/query`` with the template's ``basic_search`` and
  ``hybrid_search`` strategies, one at a time on a keep-alive ``http.client`` connection.
- **synthetic**: ``--chunks`` chunks written straight into the project's database by this
  script (random unit vectors, texts drawn from a fixed vocabulary, same store, lexical
  index and model record as ingestion writes), then served the same way; queries are random
  word triples. There also hybrid with metadata filters: ``chunk_index`` 0-3 (a fifth of
  the chunks pass); one file's 20 chunks, the same file every query; one file's, another
  file every query (a filter new to the server each time), by name and by ``file_hash``.
- **floor** (same run, same machine, this process): encode the query with the same embedder (its query path, ``embed_query``)
  + the store's own ``search`` on an already-open store; no HTTP, no config, no lexical.
  The ratios are against it. A second row, **floor, texts from the lexical index**, does
  what the server's retrieval does for a local store since the thirteenth round (the
  store's ``search_ids``, then the hits' texts from the lexical index; RetrievalContext):
  the server's own overhead is its ratio to that row, printed beside.

``--baseline /path/to/old/checkout`` also serves a copy of the same data with the old code
(its own ``serve``, no worker) and measures it in the same blocks: before/after in one run.
A ``precision: int8`` in the copy's config becomes ``auto`` when the old checkout has no int8
embedder (such code rejects it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cranfield import QRY, read_docs  # noqa: E402
from ingest_cranfield import save_results  # noqa: E402
from lf_serve import Serve, check, machine, p50, pct, rag_project, wait_task  # noqa: E402

NS, PROJECT, DATASET = "bench", "cran", "docs"
STRATEGIES = ("basic_search", "hybrid_search")
PER_FILE = 20  # the synthetic corpus's chunks per file


def filtered(files: int) -> dict[str, tuple[str, Any]]:
    """On the synthetic corpus (``files`` files), hybrid with metadata filters too: a fifth
    of the chunks pass; one file's 20 chunks, the same file every query (a chat about one
    document); one file's, another file every query (each filter new to the server), by
    name and by ``file_hash``."""
    return {
        "hybrid_search, filtered": ("hybrid_search", {"chunk_index": {"$in": [0, 1, 2, 3]}}),
        "hybrid_search, one file": ("hybrid_search", {"filename": f"f{files // 2}.txt"}),
        "hybrid_search, another file each": (
            "hybrid_search",
            lambda i: {"filename": f"f{(i * 7919) % files}.txt"},
        ),
        "hybrid_search, another file each, by hash": (
            "hybrid_search",
            lambda i: {"file_hash": f"{(i * 7919 + 1) % files:064x}"},
        ),
    }


TARGETS = {
    ("cranfield", "basic_search"): 1.3,
    ("cranfield", "hybrid_search"): 1.6,
    ("synthetic", "basic_search"): 1.5,
}
WORDS = [
    "lift",
    "drag",
    "wing",
    "flow",
    "boundary",
    "layer",
    "pressure",
    "heat",
    "transfer",
    "shock",
    "wave",
    "supersonic",
    "mach",
    "number",
    "turbulent",
    "laminar",
    "viscous",
    "plate",
    "cylinder",
    "cone",
    "nozzle",
    "jet",
    "wake",
    "vortex",
    "panel",
    "buckling",
    "shell",
    "stress",
    "temperature",
    "velocity",
    "density",
    "surface",
    "skin",
    "friction",
    "reynolds",
    "stability",
    "oscillation",
    "aircraft",
    "rocket",
    "missile",
    "reentry",
    "ablation",
    "radiation",
    "gas",
    "kinetic",
    "slip",
    "hypersonic",
    "subsonic",
]


def read_queries() -> list[str]:
    out, current, reading = [], [], False
    for line in QRY.read_text().splitlines():
        if line.startswith(".I"):
            if current:
                out.append(" ".join(current))
            current, reading = [], False
        elif line.startswith(".W"):
            reading = True
        elif reading:
            current.append(line.strip())
    if current:
        out.append(" ".join(current))
    return out


def ingest_cranfield(serve: Serve, session: requests.Session) -> int:
    base = rag_project(session, serve.url, NS, PROJECT, DATASET)
    docs = read_docs()
    for i in range(0, len(docs), 200):
        files = [("files", (f"cran_{d}.txt", t.encode())) for d, t in docs[i : i + 200]]
        check(session.post(f"{base}/datasets/{DATASET}/data/bulk", files=files, timeout=600))
    wait_task(session, base, check(session.post(f"{base}/datasets/{DATASET}/process", timeout=7200)))
    return len(docs)


def write_synthetic(data_dir: Path, n: int) -> None:
    """A project from the ``rag`` template whose database holds ``n`` synthetic chunks."""
    from llamafarm_core.databases import open_database
    from llamafarm_core.plugins import build_registry, get_plugin_manager
    from llamafarm_core.projects import ProjectRef, ProjectStore
    from llamafarm_core.settings import Settings
    from llamafarm_core.vectors import ChunkRecord, chunk_id

    settings = Settings(data_dir=data_dir)
    registry = build_registry(get_plugin_manager())
    ref = ProjectRef(NS, PROJECT)
    project = ProjectStore(settings, registry).create(ref, "rag")
    handle = open_database(registry, project, None)
    dim = len(handle.embedder().embed(["probe"])[0])
    import numpy as np

    rng = random.Random(7)
    np_rng = np.random.default_rng(7)
    per_file, batch = PER_FILE, 5000
    # Zipf-distributed words (the subject words are the most frequent), like real text.
    vocabulary = WORDS + [f"term{i}" for i in range(20_000)]
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    with handle.writing() as store:
        handle.ensure_model(store, dim)
        for start in range(0, n, batch):
            records = []
            vectors = np_rng.standard_normal((min(n, start + batch) - start, dim)).astype("float32")
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            for i in range(start, min(n, start + batch)):
                file_hash = f"{i // per_file:064x}"
                vec = vectors[i - start].tolist()
                text = " ".join(rng.choices(vocabulary, weights, k=40))
                meta = {
                    "file_hash": file_hash,
                    "chunk_index": i % per_file,
                    "filename": f"f{i // per_file}.txt",
                }
                records.append(ChunkRecord(chunk_id(file_hash, i % per_file), text, vec, meta))
            store.add(records)
            handle.lexical.add(records)
            print(f"  wrote {min(n, start + batch)}/{n} chunks", file=sys.stderr)


class Floor:
    """Encode + the store's own search, in this process, on a store opened once."""

    def __init__(self, data_dir: Path) -> None:
        from llamafarm_core.components.kinds import PluginKind
        from llamafarm_core.config.loader import load_config_file
        from llamafarm_core.plugins import build_registry, get_plugin_manager

        registry = build_registry(get_plugin_manager())
        project_dir = data_dir / "projects" / NS / PROJECT
        config = load_config_file(project_dir / "llamafarm.yaml")
        assert config.rag is not None
        db = config.rag.databases[0]
        emb = db.embedding_strategies[0]
        self.embedder: Any = registry.build(PluginKind.EMBEDDER, emb.type, emb.config, where="floor")
        self.store: Any = registry.build(
            PluginKind.VECTOR_STORE,
            db.type,
            db.config,
            where="floor",
            path=project_dir / "stores" / db.name,
            collection=db.name,
        )

        self.encode_ms: list[float] = []
        # Run in a worker thread, as the server does: measured on this machine, torch encodes
        # ~20x slower in the main thread of a process that has opened a Chroma client.
        self._thread = ThreadPoolExecutor(1)

        from llamafarm_core.lexical.index import LexicalIndex

        self.lexical = LexicalIndex(project_dir / "stores" / db.name / "lexical.sqlite")

    def __call__(self, query: str) -> float:
        return self._thread.submit(self._one, query).result()

    def lexical_texts(self, query: str) -> float:
        """The floor as the server now reads: ids from the store, texts from the lexical index."""
        return self._thread.submit(self._one, query, True).result()

    def _one(self, query: str, lexical: bool = False) -> float:
        t0 = time.perf_counter()
        vector = self.embedder.embed_query(query)
        if not lexical:
            self.encode_ms.append((time.perf_counter() - t0) * 1000)
            hits: Any = self.store.search(vector, 5)
        else:
            hits = self.lexical.get([s.id for s in self.store.search_ids(vector, 5)])
        elapsed = (time.perf_counter() - t0) * 1000
        assert hits, "the floor found nothing: is the corpus there?"
        return elapsed


class Http:
    """``POST …/rag/query`` with one strategy on a keep-alive connection.

    The client is the standard library's ``http.client``: the figure is the server's and the
    wire's. ``requests`` spends ~0.9 ms of its own per call here (measured: 13.6 vs 12.7 ms
    p50 on one server), which no server change can remove."""

    def __init__(
        self, url: str, strategy: str, filters: dict[str, Any] | Callable[[int], dict[str, Any]] | None = None
    ) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        self.path = f"/v1/projects/{NS}/{PROJECT}/rag/query"
        self.strategy = strategy
        self.filters = filters
        self.calls = 0

    def __call__(self, query: str) -> float:
        request = {"query": query, "retrieval_strategy": self.strategy, "top_k": 5}
        if self.filters:
            request["metadata_filters"] = self.filters(self.calls) if callable(self.filters) else self.filters
        self.calls += 1
        body = json.dumps(request)
        t0 = time.perf_counter()
        self.conn.request("POST", self.path, body=body, headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status >= 400:
            sys.exit(f"POST {self.path} -> {resp.status}: {data[:2000]!r}")
        assert json.loads(data)["results"], f"{self.strategy} found nothing"
        return elapsed


def interleaved(
    measures: dict[str, Any], queries: list[str], rounds: int, block: int = 20, warmup_s: float = 5.0
) -> dict[str, list[float]]:
    """Blocks of ``block`` queries through each measure in turn, repeated (in a rotating
    order), so load changes on the machine hit all alike. Blocks (not single queries) with a
    pause between them: torch's OpenMP threads spin for a while after each use, and the
    server's and this process's spinning threads would otherwise slow each other down on
    every switch.

    First a warm-up of at least 10 queries per measure and ``warmup_s`` seconds: a server
    reads its BM25 postings into memory in the background after its first lexical query
    (~3 s at 100,000 chunks; llamafarm_core/lexical/memory.py), and FTS5 answers until then."""
    started, i = time.perf_counter(), 0
    while i < 10 or time.perf_counter() - started < warmup_s:
        for m in measures.values():
            m(queries[i % len(queries)])
        i += 1
    times: dict[str, list[float]] = {name: [] for name in measures}
    names = list(measures)
    for turn, start in enumerate(range(0, rounds, block)):
        # the order rotates every round: the block right after the floor's ran measurably
        # slower (~0.3-0.5 ms, whatever ran there), so no measure may always take that place
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            m = measures[name]
            time.sleep(0.5)
            times[name] += [m(queries[i % len(queries)]) for i in range(start, min(rounds, start + block))]
    return times


def run(corpus: str, args: argparse.Namespace) -> list[tuple[str, ...]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="lf-qbench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        if corpus == "synthetic":
            rng = random.Random(11)
            queries = [" ".join(rng.choice(WORDS) for _ in range(3)) for _ in range(500)]
            t0 = time.perf_counter()
            write_synthetic(data_dir, args.chunks)
            print(f"  synthetic corpus written in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            size = f"{args.chunks:,} chunks"
        else:
            queries = read_queries()
        with Serve(data_dir) as serve:
            if corpus == "cranfield":
                session = requests.Session()
                t0 = time.perf_counter()
                n = ingest_cranfield(serve, session)
                stats = check(session.get(f"{serve.url}/v1/projects/{NS}/{PROJECT}/rag/stats"))
                size = f"{n:,} docs, {stats['chunk_count']:,} chunks"
                print(f"  ingested in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            floor = Floor(data_dir)
            before: Serve | None = None
            served = {s: (s, None) for s in STRATEGIES}
            if corpus == "synthetic":
                served |= filtered(args.chunks // PER_FILE)
            try:
                measures = {
                    "floor": floor,
                    "floor_lexical": floor.lexical_texts,
                    **{name: Http(serve.url, *how) for name, how in served.items()},
                }
                if args.baseline:
                    # The same data, served by the old code, measured in the same blocks.
                    old_dir = data_dir.parent / "baseline-data"
                    shutil.copytree(data_dir, old_dir, ignore=shutil.ignore_patterns("run"))
                    old = Path(args.baseline).resolve()
                    for config in old_dir.rglob("llamafarm.yaml"):
                        downgrade_precision(config, old)
                    before = Serve(old_dir, workers=0, cwd=old, PYTHONPATH=f"{old}:{old / 'plugins'}")
                    measures |= {f"before:{name}": Http(before.url, *how) for name, how in served.items()}
                measured = interleaved(measures, queries, args.queries)
            finally:
                floor.store.close()
                if before is not None:
                    before.stop()
    base = measured.pop("floor")
    lexical = measured.pop("floor_lexical")
    encode = floor.encode_ms[-args.queries :]
    f50, l50 = p50(base), p50(lexical)
    rows.append(
        (corpus, size, "floor (encode + store search)", f"{f50:.1f}", f"{pct(base, 0.95):.1f}", "1.00", "")
    )
    rows.append(
        (corpus, size, "  of which: encode", f"{p50(encode):.1f}", f"{pct(encode, 0.95):.1f}", "", "")
    )
    rows.append(
        (
            corpus,
            size,
            "floor, texts from the lexical index",
            f"{l50:.1f}",
            f"{pct(lexical, 0.95):.1f}",
            f"{l50 / f50:.2f}",
            "",
        )
    )
    for strategy, times in measured.items():
        if strategy.startswith("before:"):
            continue
        target = TARGETS.get((corpus, strategy))
        rows.append(
            (
                corpus,
                size,
                f"HTTP rag/query, {strategy}",
                f"{p50(times):.1f}",
                f"{pct(times, 0.95):.1f}",
                f"{p50(times) / f50:.2f}",
                (f"≤ {target}; " if target else "") + f"{p50(times) / l50:.2f} × the lexical-texts floor",
            )
        )
    for strategy in [name for name in measured if not name.startswith("before:")]:
        if f"before:{strategy}" in measured:
            old_t, new_t = measured[f"before:{strategy}"], measured[strategy]
            rows.append(
                (
                    corpus,
                    size,
                    f"before (--baseline), {strategy}",
                    f"{p50(old_t):.1f}",
                    f"{pct(old_t, 0.95):.1f}",
                    f"{p50(old_t) / f50:.2f}",
                    f"after/before p50 {p50(new_t) / p50(old_t):.2f}, p95 {pct(new_t, 0.95) / pct(old_t, 0.95):.2f}",
                )
            )
    return rows


def downgrade_precision(config: Path, old: Path) -> None:
    """An older checkout may not know ``precision: fast`` or ``int8`` (it rejects the
    config): its copy asks for what its own template did instead (``int8``, before that
    ``auto``), so it encodes queries the way it always did (its latency is what is
    compared; its ranking against these vectors is not)."""
    embedders = old / "plugins" / "llamafarm_embedders"
    text = config.read_text()
    if '"fast"' not in (embedders / "sentence_transformer.py").read_text():
        text = re.sub(r"(\bprecision:\s*)fast\b", r"\1int8", text)
    if not (embedders / "int8.py").is_file():
        text = re.sub(r"(\bprecision:\s*)int8\b", r"\1auto", text)
    config.write_text(text)


def main() -> None:
    from llamafarm_core.offline import enforce_offline

    enforce_offline()  # the server's environment (e.g. TOKENIZERS_PARALLELISM=false) for the floor too
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="cranfield,synthetic")
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--baseline", default=None, help="a checkout of the old code: serve it too, same data")
    args = ap.parse_args()
    rows = []
    for corpus in args.corpus.split(","):
        rows += run(corpus.strip(), args)
    print(f"\nrag/query latency, top_k=5, {args.queries} sequential queries per row; {machine()}\n")
    print("| corpus | size | measure | p50 ms | p95 ms | p50 / floor p50 | target |")
    print("|---|---|---|---:|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n(results: {write_results(rows)})")


def write_results(rows: list[tuple[str, ...]]) -> Path:
    """bench/results/query_latency.json: each HTTP row's p50 as a multiple of its corpus's
    floor (for bench/peers/chart.py)."""
    out = [
        {
            "label": f"{corpus}: {measure.removeprefix('HTTP rag/query, ')}",
            "p50_ms": float(p50_ms),
            "x_floor": float(ratio),
            "target": float(target.removeprefix("≤ ").split(";")[0]) if target.startswith("≤") else None,
        }
        for corpus, _size, measure, p50_ms, _p95, ratio, target in rows
        if measure.startswith("HTTP rag/query")
    ]
    return save_results("query_latency", {"machine": machine(), "rows": out})


if __name__ == "__main__":
    main()
