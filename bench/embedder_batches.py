"""The bundled embedder's bfloat16 batch shape on Cranfield's chunks: texts per batch
(``precision.BATCH_ROWS``) and the padding bucket (``precision.BUCKET``), in one process
taking turns, so every variant meets the same machine.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/embedder_batches.py [--variants 32x16,16x8]
        [--rounds 2] [--limit N]

First runs the ``rag`` template's pipeline over the abstracts (temp data dir, one run per
256 files as a worker's jobs, the embedder replaced by a stub) to collect the chunk texts of
each ``embed()`` call a worker makes. Then, per variant ``ROWSxBUCKET``, encodes those calls
with ``SentenceTransformerEmbedder`` (config ``batch_size`` 32, lanes as in a worker) after
setting the two constants, every variant once to warm its shapes, then ``--rounds`` times
in turn. Also prints a cost model of each variant's padding (real tokenizer; Linear work per
position, attention per position squared, at this machine's rough bfloat16 rates).
Prints a table; asserts nothing. Needs a CPU with native bfloat16 (else it says so).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

LINEAR_S_PER_POSITION = 21.2e6 / 500e9  # MiniLM's Linear FLOPs per position / ~500 GFLOP/s
ATTENTION_S_PER_POSITION2 = 9216 / 80e9  # its attention FLOPs per position² / ~80 GFLOP/s


def worker_calls(limit: int | None) -> list[list[str]]:
    """The chunk texts of each embed() call of a worker processing the abstracts."""
    os.environ["LF_DATA_DIR"] = tempfile.mkdtemp(prefix="lf-batches-")
    from cranfield import rag_dataset

    from llamafarm_core.ingest import pipeline

    settings, _registry, projects, ref = rag_dataset(limit, "batches")
    calls: list[list[str]] = []
    real = pipeline.embed_files

    def capture(files, embed, call_size):  # type: ignore[no-untyped-def]
        calls.append([t for texts in files for t in texts])
        return real(files, lambda texts: [[1.0] + [0.0] * 383 for _ in texts], call_size)

    pipeline.embed_files = capture
    try:
        members = projects.get(ref).config.dataset("docs").files
        for start in range(0, len(members), 256):
            pipeline.process_files(settings, "bench", "batches", "docs", members[start : start + 256])
    finally:
        pipeline.embed_files = real
    return calls


def padding_cost(lengths: list[list[int]], rows: int, bucket: int) -> float:
    """Modelled seconds of one pass over the calls, padding included (longest first)."""
    from llamafarm_embedders.precision import batch_rows

    total = 0.0
    for call in lengths:
        ordered = sorted(call, reverse=True)
        for start in range(0, len(ordered), rows):
            batch = ordered[start : start + rows]
            padded = min(max(-(-batch[0] // bucket) * bucket, batch[0]), 256)
            count = batch_rows(len(batch), rows)
            total += count * padded * LINEAR_S_PER_POSITION + count * padded**2 * ATTENTION_S_PER_POSITION2
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", default="32x16,16x8,16x16,8x8", help="ROWSxBUCKET, comma-separated")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="only the first N abstracts")
    args = ap.parse_args()
    variants = [tuple(int(x) for x in v.split("x")) for v in args.variants.split(",")]

    calls = worker_calls(args.limit)
    from lf_serve import machine
    from llamafarm_embedders import precision
    from llamafarm_embedders.sentence_transformer import (
        SentenceTransformerConfig,
        SentenceTransformerEmbedder,
    )

    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=32))
    loaded = embedder._model()
    if loaded.precision != "bfloat16":
        raise SystemExit(
            "this CPU runs the embedder in float32: batch rows and buckets apply to bfloat16 only"
        )
    lengths = [
        [len(ids) for ids in loaded.model.tokenizer(c, truncation=True, max_length=256)["input_ids"]]
        for c in calls
    ]
    exact = sum(n * LINEAR_S_PER_POSITION + n * n * ATTENTION_S_PER_POSITION2 for c in lengths for n in c)

    def encode(rows: int, bucket: int) -> tuple[float, float]:
        precision.BATCH_ROWS, precision.BUCKET = rows, bucket
        usage = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        for call in calls:
            embedder.embed(call)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        return wall, (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)

    saved = precision.BATCH_ROWS, precision.BUCKET
    try:
        for variant in variants:
            encode(*variant)  # warm: every shape of the variant seen once
        results: dict[tuple[int, ...], list[tuple[float, float]]] = {v: [] for v in variants}
        for _ in range(args.rounds):
            for variant in variants:
                results[variant].append(encode(*variant))
                print(variant, results[variant][-1], file=sys.stderr, flush=True)
    finally:
        precision.BATCH_ROWS, precision.BUCKET = saved

    chunks = sum(len(c) for c in calls)
    print(
        f"\nbfloat16 encode of {chunks} Cranfield chunks in {len(calls)} calls, {args.rounds} rounds in turn; {machine()}\n"
    )
    print("| texts per batch | bucket | wall s (each round) | CPU s (each round) | modelled padding |")
    print("|---:|---:|---|---|---:|")
    for variant in variants:
        walls = " / ".join(f"{w:.2f}" for w, _ in results[variant])
        cpus = " / ".join(f"{c:.1f}" for _, c in results[variant])
        pad = padding_cost(lengths, *variant) / exact - 1
        print(f"| {variant[0]} | {variant[1]} | {walls} | {cpus} | +{pad:.0%} |")
    best = min(variants, key=lambda v: statistics.median(w for w, _ in results[v]))
    print(
        f"\nfastest median wall: {best[0]} texts, bucket {best[1]} (now: {saved[0]} texts, bucket {saved[1]})"
    )


if __name__ == "__main__":
    main()
