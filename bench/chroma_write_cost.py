"""What one embedded-Chroma record costs to write, by what it carries, and what that does to
the rest of the process.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/chroma_write_cost.py [--records 1980] [--group 330]

Upserts ``--records`` synthetic records (384-dim vectors, ~1,000-character texts of
Cranfield words, the 27 metadata keys a ``rag``-template chunk carries) in
groups of ``--group``, as a worker's writes do, into a fresh collection per variant:

- ``full``: what the product writes; ``no documents``; ``no metadata``; ``ids + vectors``;
- ``full, FTS off``: a collection created with Chroma's schema switch for the documents'
  full-text index off (embedded Chroma still fills that index: no gain);
- per variant, wall and CPU seconds (every thread of this process: Chroma's Rust threads too);
- for ``full``: how often a Python thread got the GIL during the upserts (ticks of a 1 ms
  sleep loop a second; idle is ~900). Chroma's bindings hold the GIL for the whole call.

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cranfield import CRAN, read_docs  # noqa: E402

# One chunk's metadata from the rag template's extractors (statistics, keywords, path) and
# the pipeline's stamps, as the store receives it (bench/pipeline_steps.py writes the same).
METADATA: dict[str, Any] = {
    "word_count": 137,
    "char_count": 910,
    "sentence_count": 6,
    "paragraph_count": 1,
    "avg_words_per_sentence": 22.83,
    "reading_time_seconds": 41.1,
    "flesch_reading_ease": 29.9,
    "flesch_kincaid_grade": 14.76,
    "readability_level": "very difficult",
    "avg_syllables_per_word": 1.818,
    "vocabulary": '{"avg_word_length": 5.46, "lexical_diversity": 0.5547, "unique_words": 76}',
    "structure": '{"code_blocks": 0, "headings": 0, "list_items": 0, "paragraphs": 1, "tables": 0}',
    "keywords": "experimental investigation, slipstream, slipstream velocity ratios, wing, lift",
    "yake_keywords": '[["experimental investigation", 0.042026], ["slipstream", 0.047549]]',
    "mime_type": "text/plain",
    "file_size": 910,
    "file_path": "cran_1.txt",
    "file_name": "cran_1.txt",
    "file_stem": "cran_1",
    "file_extension": ".txt",
    "directory": "",
    "file_hash": "",
    "filename": "cran_1.txt",
    "chunk_index": 0,
    "document_id": "",
}
VARIANTS = ("full", "no documents", "no metadata", "ids + vectors", "full, FTS off")


def records(n: int, seed: int = 7) -> list[tuple[str, list[float], dict[str, Any], str]]:
    rng = random.Random(seed)
    words = " ".join(text for _, text in read_docs(CRAN)).split()
    out = []
    for i in range(n):
        meta = dict(METADATA, chunk_index=i % 3, file_hash=f"{i // 3:064x}", document_id=f"{i // 3:064x}")
        text = " ".join(rng.choices(words, k=150))[:1000]
        out.append((f"{i // 3:064x}:{i % 3:06d}", [rng.random() for _ in range(384)], meta, text))
    return out


def collection(variant: str) -> Any:
    import chromadb

    client = chromadb.PersistentClient(path=tempfile.mkdtemp(prefix="lf-chroma-cost-"))
    if variant != "full, FTS off":
        return client.create_collection("cost", metadata={"hnsw:space": "cosine"})
    from chromadb.api.types import FtsIndexConfig, Schema, VectorIndexConfig

    schema = Schema()
    schema.delete_index(FtsIndexConfig(), key="#document")
    schema.create_index(VectorIndexConfig(space="cosine"))
    return client.create_collection("cost", schema=schema)


def write(variant: str, recs: list, group: int) -> tuple[float, float]:
    col = collection(variant)
    cpu, start = time.process_time(), time.perf_counter()
    for at in range(0, len(recs), group):
        batch = recs[at : at + group]
        kwargs: dict[str, Any] = {"ids": [r[0] for r in batch], "embeddings": [r[1] for r in batch]}
        if variant not in ("no metadata", "ids + vectors"):
            kwargs["metadatas"] = [r[2] for r in batch]
        if variant not in ("no documents", "ids + vectors"):
            kwargs["documents"] = [r[3] for r in batch]
        col.upsert(**kwargs)
    return time.perf_counter() - start, time.process_time() - cpu


def gil_ticks(recs: list, group: int) -> tuple[float, float]:
    """Ticks a second of a 1 ms sleep loop: idle, then during ``full`` upserts."""
    stop, ticks = threading.Event(), [0]

    def tick() -> None:
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    time.sleep(0.5)
    idle = ticks[0] / 0.5
    ticks[0] = 0
    wall, _ = write("full", recs, group)
    busy = ticks[0] / wall
    stop.set()
    thread.join()
    return idle, busy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1980, help="records (Cranfield: ~1,975 chunks)")
    ap.add_argument("--group", type=int, default=330, help="records per upsert (a job's group)")
    args = ap.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    recs = records(args.records)
    write("full", recs[: args.group], args.group)  # imports and first-use costs
    print(f"\nEmbedded Chroma upserts: {args.records} records in groups of {args.group}\n")
    print("| variant | wall s | ms / record | CPU s (all threads) |")
    print("|---|---:|---:|---:|")
    for variant in VARIANTS:
        wall, cpu = write(variant, recs, args.group)
        print(f"| {variant} | {wall:.2f} | {wall / len(recs) * 1000:.2f} | {cpu:.2f} |")
    idle, busy = gil_ticks(recs, args.group)
    print(f"\nA Python thread's 1 ms ticks a second: {idle:.0f} idle, {busy:.0f} during the upserts.")


if __name__ == "__main__":
    main()
