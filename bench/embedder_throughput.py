"""Throughput of the bundled embedder on the 1,400 Cranfield documents: document order vs
length-sorted batches, at batch sizes 16, 32 and 64.

    .venv/bin/python bench/embedder_throughput.py [--limit N] [--sizes 16,32,64]

- "document order": the documents cut into batches as they come, one encode call per batch
  (sentence-transformers only sorts within a call, so each batch pads to its longest text);
- "length-sorted": ``SentenceTransformerEmbedder.embed`` on all documents at once, which is
  what the pipeline does: sentence-transformers sorts the whole call by length, so batches
  hold texts of similar length and pad little.

Both give the same vectors (checked: largest absolute difference). Prints a table of docs/s
of wall time and docs per CPU-second of this process (all its threads): on a shared, busy
machine the wall-clock rate mostly measures the neighbours, the CPU rate much less so.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import time

from cranfield import CRAN, doc_texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N documents")
    parser.add_argument("--sizes", default="16,32,64", help="batch sizes, comma-separated")
    args = parser.parse_args()

    from llamafarm_core.offline import enforce_offline

    enforce_offline()
    import numpy as np
    import torch
    from llamafarm_embedders.sentence_transformer import (
        SentenceTransformerConfig,
        SentenceTransformerEmbedder,
    )

    docs = [" ".join(t.split()) for t in doc_texts(CRAN)]
    if args.limit:
        docs = docs[: args.limit]
    sizes = [int(s) for s in args.sizes.split(",")]
    words = [len(d.split()) for d in docs]
    print(
        f"{len(docs)} documents, {sum(words) / len(docs):.0f} words on average (max {max(words)}), "
        f"torch threads: {torch.get_num_threads()}"
    )

    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig())
    model = embedder._model().model
    embedder.embed(docs[:32])  # warm-up

    rows = []
    for size in sizes:
        started, cpu_started = time.perf_counter(), time.process_time()
        in_order: list[list[float]] = []
        for start in range(0, len(docs), size):
            batch = model.encode(
                docs[start : start + size],
                batch_size=size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            in_order.extend(batch.tolist())
        t_order, cpu_order = time.perf_counter() - started, time.process_time() - cpu_started

        sized = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=size))
        started, cpu_started = time.perf_counter(), time.process_time()
        length_sorted = sized.embed(docs)
        t_sorted, cpu_sorted = time.perf_counter() - started, time.process_time() - cpu_started

        diff = float(np.abs(np.array(in_order) - np.array(length_sorted)).max())
        n = len(docs)
        rows.append((size, n / t_order, n / t_sorted, n / cpu_order, n / cpu_sorted, diff))

    print()
    print("docs/s of wall time and docs per CPU-second, document order vs length-sorted")
    head = ["batch", "order wall", "sorted wall", "order CPU", "sorted CPU", "speed-up (CPU)", "max |diff|"]
    widths = [max(len(h), 8) for h in head]
    print(" | ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for size, order, srt, cpu_o, cpu_s, diff in rows:
        cells = [
            str(size),
            f"{order:.1f}",
            f"{srt:.1f}",
            f"{cpu_o:.1f}",
            f"{cpu_s:.1f}",
            f"{cpu_s / cpu_o:.2f}x",
            f"{diff:.1e}",
        ]
        print(" | ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))


if __name__ == "__main__":
    main()
