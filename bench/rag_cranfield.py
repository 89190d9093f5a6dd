"""Retrieval quality on Cranfield through the HTTP API: nDCG@10 per strategy.

    .venv/bin/python bench/rag_cranfield.py [--chunk-size N|0] [--chunk-overlap N] [--strategies basic,bm25,...]

Starts a real ``llamafarm serve`` (temp data dir), creates a project from the ``rag``
template (embedded Chroma, bundled all-MiniLM-L6-v2), adds the strategies below to its
database, uploads the 1,400 documents (one .txt each, text = the .W field), processes them,
then runs the 225 queries through ``POST …/rag/query`` with ``top_k=10`` for each strategy.

By default the parser's ``chunk_size`` is 5000 characters, so each abstract (at most ~4,200
characters) is one chunk: the judgements and the reference figures are per abstract.
``--chunk-size 0`` keeps the template's chunking (paragraphs of up to 1100 characters, no
overlap: sized to the model's 256 word pieces), which splits about a third of the abstracts;
``top_k=10`` chunks then hold fewer than 10 documents. ``--chunk-overlap N`` sets the
parsers' overlap (to measure whether overlap pays).
Chunk hits are mapped back to documents (a document's score is its best chunk's), and nDCG@10
is computed with graded gains (cranqrel code 1→4, 2→3, 3→2, 4→1; 5 and -1 not relevant;
query ids are positions 1..225 in cran.qry). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cranfield import CRAN, QRELS, QRY, read_docs  # noqa: E402
from ingest_cranfield import DATASET, NS, PROJECT, check, process, start_server  # noqa: E402

GAIN = {1: 4, 2: 3, 3: 2, 4: 1}
REFERENCE = {"BM25 (bm25s)": 0.354, "MiniLM exact cosine": 0.358, "RRF of the two (k=60)": 0.392}

# name -> (type, config): added to the template's database next to its own strategies.
STRATEGIES: dict[str, tuple[str, dict[str, Any]]] = {
    "basic": ("BasicSimilarityStrategy", {}),
    "bm25": ("BM25Strategy", {}),
    "hybrid": ("HybridStrategy", {}),  # the defaults: alpha 0.5, score fusion
    "hybrid_rrf": ("HybridStrategy", {"fusion": "rrf"}),
    "reranked": ("RerankedStrategy", {"initial_k": 30}),
}


def read_qrels(path: Path) -> dict[int, dict[str, int]]:
    qrels: dict[int, dict[str, int]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and int(parts[2]) in GAIN:
            qrels.setdefault(int(parts[0]), {})[parts[1]] = GAIN[int(parts[2])]
    return qrels


def ndcg10(ranking: list[str], relevant: dict[str, int]) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def configure(url: str, chunk_size: int | None, names: list[str], overlap: int | None = None) -> list[str]:
    """Add the bench strategies to the project's database; returns every strategy to run."""
    base = f"{url}/v1/projects/{NS}/{PROJECT}"
    config = check(requests.get(base, timeout=60))["project"]["config"]
    db = config["rag"]["databases"][0]
    existing = {s["name"] for s in db["retrieval_strategies"]}
    for name in names:
        if name in STRATEGIES and name not in existing:
            kind, cfg = STRATEGIES[name]
            db["retrieval_strategies"].append({"name": name, "type": kind, "config": cfg})
    for strategy in config["rag"]["data_processing_strategies"]:
        for parser in strategy["parsers"]:
            if chunk_size:
                parser.setdefault("config", {}).update(chunk_size=chunk_size)
            if overlap is not None:
                parser.setdefault("config", {}).update(chunk_overlap=overlap)
    check(requests.put(base, json={"config": config}, timeout=60))
    return names


def run_queries(
    url: str, strategy: str, queries: list[str], doc_of: dict[str, str]
) -> tuple[list[list[str]], float]:
    base = f"{url}/v1/projects/{NS}/{PROJECT}/rag/query"

    def one(text: str) -> list[str]:
        body = {"query": text, "top_k": 10, "retrieval_strategy": strategy}
        hits = check(requests.post(base, json=body, timeout=600))["results"]
        best: dict[str, float] = {}
        for hit in hits:
            doc = doc_of.get(hit["document_id"], hit["document_id"])
            best[doc] = max(best.get(doc, 0.0), hit["score"])
        return [d for d, _ in sorted(best.items(), key=lambda kv: -kv[1])]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        rankings = list(pool.map(one, queries))
    return rankings, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--chunk-size",
        type=int,
        default=5000,
        help="parser chunk_size; 0 keeps the template's (default 5000)",
    )
    ap.add_argument("--chunk-overlap", type=int, default=None, help="parser chunk_overlap (default: keep)")
    ap.add_argument(
        "--strategies",
        default="basic,bm25,hybrid_search,hybrid_rrf,universal_search,reranked",
        help="comma-separated strategy names (bench ones: "
        + ", ".join(STRATEGIES)
        + "; the template's: basic_search, hybrid_search, keyword_search, universal_search)",
    )
    args = ap.parse_args()
    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    docs = read_docs(CRAN)
    queries = [text.replace("\n", " ") for _, text in read_docs(QRY)]
    qrels = read_qrels(QRELS)
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="lf-rag-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        proc, url, _log = start_server(data_dir, None)
        try:
            check(requests.post(f"{url}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}))
            configure(url, args.chunk_size, names, args.chunk_overlap)
            base = f"{url}/v1/projects/{NS}/{PROJECT}/datasets"
            check(
                requests.post(base, json={"name": DATASET, "data_processing_strategy": "universal_processor"})
            )
            doc_of: dict[str, str] = {}
            for i in range(0, len(docs), 200):
                files = [("files", (f"cran_{d}.txt", t.encode())) for d, t in docs[i : i + 200]]
                res = check(requests.post(f"{base}/{DATASET}/data/bulk", files=files, timeout=600))
                doc_of.update({f["hash"]: f["filename"][5:-4] for f in res["files"]})
            start = time.perf_counter()
            report = process(url)
            ingest_s = time.perf_counter() - start
            chunks = sum(d.get("chunks", 0) for d in report.get("details", []))
            print(
                f"processed {report.get('processed_files')} files into {chunks} chunks in {ingest_s:.0f} s",
                flush=True,
            )
            for name in names:
                rankings, seconds = run_queries(url, name, queries, doc_of)
                score = sum(ndcg10(r, qrels.get(i + 1, {})) for i, r in enumerate(rankings)) / len(queries)
                results.append((name, score, seconds))
                print(f"  {name}: nDCG@10 {score:.4f} ({seconds:.0f} s)", flush=True)
        finally:
            proc.terminate()
            proc.wait(30)
    chunking = f"chunk_size {args.chunk_size}" if args.chunk_size else "the template's chunking"
    if args.chunk_overlap is not None:
        chunking += f", chunk_overlap {args.chunk_overlap}"
    print(f"\nCranfield, {len(docs)} documents ({chunking}), {len(queries)} queries, top_k=10, nDCG@10\n")
    print("| strategy (through the API) | nDCG@10 | s / query |")
    print("|---|---:|---:|")
    for name, score, seconds in results:
        print(f"| {name} | {score:.3f} | {seconds / len(queries):.3f} |")
    for name, score in REFERENCE.items():
        print(f"| reference: {name} | {score:.3f} | |")


if __name__ == "__main__":
    main()
