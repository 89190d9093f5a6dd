"""glibc malloc settings for ``serve``: ``rag/query`` latency and the server's memory over
streaming chats, for several settings side by side in one run. Prints tables; asserts nothing.

    .venv/bin/python bench/malloc_settings.py [--queries 200] [--chats 40]

Cranfield's 1,400 abstracts are ingested once (a real ``serve`` with one worker, the ``rag``
template); then one ``serve`` per setting (no worker) runs on its own copy of that data:

- ``serve's own``: no malloc variable set, so ``serve`` applies its defaults
  (``llamafarm_core/malloc_tuning.py``);
- the other rows set glibc's ``MALLOC_*`` variables, which ``serve`` leaves alone (the user's
  choice wins), e.g. ``MALLOC_MMAP_THRESHOLD_=131072`` is what ``serve`` did before.

Phase 1: ``rag/query`` (``basic_search``) through each server in turn, in blocks
(``query_latency.interleaved``), against the in-process floor. Phase 2: the same streaming
chats (8 tokens, RAG on, no session) sent round-robin to the servers; each server's VmRSS
every 10 chats (growth after the first 10 is what the settings change; docs/security.md,
"Soak").
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lf_serve import Serve, machine, p50, pct, stream_chat  # noqa: E402
from query_latency import NS, PROJECT, Floor, Http, ingest_cranfield, interleaved, read_queries  # noqa: E402

MiB = 1024 * 1024
SETTINGS: dict[str, dict[str, str]] = {
    "serve's own": {},
    "MALLOC_MMAP_THRESHOLD_=131072 (before)": {"MALLOC_MMAP_THRESHOLD_": "131072"},
    "MALLOC_MMAP_THRESHOLD_=524288, MALLOC_TRIM_THRESHOLD_=2097152": {
        "MALLOC_MMAP_THRESHOLD_": "524288",
        "MALLOC_TRIM_THRESHOLD_": "2097152",
    },
}


def rss_mib(serve: Serve) -> float:
    return psutil.Process(serve.proc.pid).memory_info().rss / MiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--chats", type=int, default=40)
    args = parser.parse_args()
    from llamafarm_core.offline import enforce_offline

    enforce_offline()
    queries = read_queries()
    with tempfile.TemporaryDirectory(prefix="lf-malloc-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        with Serve(data) as serve:
            print(f"ingested {ingest_cranfield(serve, requests.Session())} abstracts", file=sys.stderr)
        serves: dict[str, Serve] = {}
        floor = Floor(data)
        try:
            for i, (name, env) in enumerate(SETTINGS.items()):
                copy = Path(tmp) / f"data-{i}"
                shutil.copytree(data, copy, ignore=shutil.ignore_patterns("run"))
                serves[name] = Serve(copy, workers=0, **env)
            measures = {"floor": floor, **{name: Http(s.url, "basic_search") for name, s in serves.items()}}
            times = interleaved(measures, queries, args.queries)
            rss: dict[str, list[float]] = {name: [] for name in serves}
            sessions = {name: requests.Session() for name in serves}
            for turn in range(args.chats + 1):
                if turn % 10 == 0:
                    for name, s in serves.items():
                        rss[name].append(rss_mib(s))
                if turn == args.chats:
                    break
                for name, s in serves.items():
                    stream_chat(
                        sessions[name], f"{s.url}/v1/projects/{NS}/{PROJECT}", queries[turn % len(queries)]
                    )
        finally:
            for s in serves.values():
                s.stop()
            floor.store.close()
    print(f"\n{machine()}\n")
    base = p50(times["floor"])
    print("| setting | rag/query p50 ms | p95 ms | p50 / floor |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {p50(values):.2f} | {pct(values, 0.95):.2f} | {p50(values) / base:.3f} |")
    marks = " | ".join(f"{10 * i}" for i in range(len(next(iter(rss.values())))))
    print(f"\n| setting | RSS (MiB) after chats: {marks} | growth after 10 |")
    print("|---|" + "---:|" * (len(next(iter(rss.values()))) + 1))
    for name, values in rss.items():
        cells = " | ".join(f"{v:.0f}" for v in values)
        print(f"| {name} | {cells} | {values[-1] - values[min(1, len(values) - 1)]:+.0f} |")


if __name__ == "__main__":
    main()
