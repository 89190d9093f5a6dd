"""Can the store write hide behind the embedding? Embeds Cranfield's abstracts, cut into
1,100-character chunks (the ``rag`` template's size), in groups of 330 with the product's
embedder (a worker's lanes), and upserts each group into embedded Chroma:

- ``embed only``: no writes (the floor of this bench);
- ``write after``: each group written after it is embedded (what the pipeline does);
- ``thread``: group k-1 written in a thread while group k embeds;
- ``child process``: the same, in a child process with its own Chroma client.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/store_write_overlap.py [--rounds 2]

Each mode runs in a fresh process, the modes alternating. Chroma's upsert holds the GIL, so a
thread cannot overlap it with the lanes (which need the GIL between torch operations); a child
process can, but shares the cores. Metadata: 26 keys per chunk, like the ``rag`` template's.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

MODES = {"none": "embed only", "seq": "write after", "thread": "thread", "proc": "child process"}
GROUP = 330
COLLECTION = "bench-overlap"


def chunks(text: str, size: int = 1100) -> list[str]:
    out, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > size:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return out + [cur] if cur else out


def metadata(i: int, text: str) -> dict[str, Any]:
    words = text.split()
    meta: dict[str, Any] = {f"key_{j}": f"value {j} of {i}" for j in range(20)}
    meta.update(
        chunk_index=0,
        file_hash=f"{i:064x}",
        word_count=len(words),
        char_count=len(text),
        keywords=", ".join(words[:12]),
        yake_keywords=str([[w, 0.01] for w in words[:10]]),
    )
    return meta


def writer(path: str, queue: Any) -> None:
    import chromadb

    collection = chromadb.PersistentClient(path=path).get_or_create_collection(COLLECTION)
    while (item := queue.get()) is not None:
        collection.upsert(**item)


def run(mode: str) -> float:
    """One mode, in this process: seconds from the first embed to the last write."""
    import chromadb
    from cranfield import doc_texts
    from llamafarm_embedders.sentence_transformer import (
        SentenceTransformerConfig,
        SentenceTransformerEmbedder,
    )

    from llamafarm_core.malloc_tuning import limit_malloc_arenas

    limit_malloc_arenas()  # as a worker does
    texts = [c for t in doc_texts() for c in chunks(t)]
    groups = [range(s, min(s + GROUP, len(texts))) for s in range(0, len(texts), GROUP)]
    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig())
    embedder.embed(texts[:64])  # load and warm up
    path = tempfile.mkdtemp(prefix="lf-overlap-")

    def item(group: range) -> dict[str, Any]:
        return {
            "ids": [f"c{i}" for i in group],
            "embeddings": embedder.embed([texts[i] for i in group]),
            "documents": [texts[i] for i in group],
            "metadatas": [metadata(i, texts[i]) for i in group],
        }

    if mode == "proc":
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=writer, args=(path, queue))
        child.start()
        time.sleep(3)  # its imports: a worker would start it once
    else:
        collection = chromadb.PersistentClient(path=path).get_or_create_collection(COLLECTION)
    start = time.perf_counter()
    pending: threading.Thread | None = None
    for group in groups:
        got = item(group)
        if mode == "seq":
            collection.upsert(**got)
        elif mode == "thread":
            if pending is not None:
                pending.join()
            pending = threading.Thread(target=collection.upsert, kwargs=got)
            pending.start()
        elif mode == "proc":
            queue.put(got)
    if pending is not None:
        pending.join()
    if mode == "proc":
        queue.put(None)
        child.join()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # one mode, in a child
    args = ap.parse_args()
    if args.mode:
        print(f"{run(args.mode):.2f}")
        return
    here = Path(__file__).resolve().parent
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": f"{here.parent}:{here.parent / 'plugins'}:{here}",
    }
    seconds: dict[str, list[float]] = {m: [] for m in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            done = subprocess.run(
                [sys.executable, __file__, "--mode", mode],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds[mode].append(float(done.stdout.split()[-1]))
    floor = min(seconds["none"])
    print("\n| mode | seconds (each round) | best − embed only |")
    print("|---|---|---:|")
    for mode, label in MODES.items():
        runs = " / ".join(f"{s:.2f}" for s in seconds[mode])
        print(f"| {label} | {runs} | {min(seconds[mode]) - floor:+.2f} |")


if __name__ == "__main__":
    main()
