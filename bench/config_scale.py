"""What a project's file count costs: loading its config (cold parse vs the per-process cache
a query uses), adding one uploaded file to a dataset, the query path's config load right after
it, and a whole ``rag/query`` (core ``service.query``, one indexed chunk) right after an upload
and in steady state, at 1,400 / 10,000 / 100,000 files. Prints a table; asserts nothing.

    .venv/bin/python bench/config_scale.py [--sizes 1400,10000,100000]
    # before/after: the same script against another checkout
    PYTHONPATH=/old/checkout:/old/checkout/plugins .venv/bin/python bench/config_scale.py

The project is the ``rag`` template with one dataset holding N files (what
``datasets[].files`` reports after N uploads); core API in this process, no HTTP. The query
path loads the project the way the server's ``rag/query`` route does (``get_bare`` where it
exists, else ``get``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lf_serve import machine  # noqa: E402


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    from llamafarm_core.config.loader import load_config_file
    from llamafarm_core.datasets.store import DatasetStore
    from llamafarm_core.ingest.pipeline import process_files
    from llamafarm_core.plugins import build_registry, get_plugin_manager
    from llamafarm_core.projects import ProjectRef, ProjectStore
    from llamafarm_core.retrieval import service
    from llamafarm_core.retrieval.request import RetrievalRequest
    from llamafarm_core.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1400,10000,100000")
    args = ap.parse_args()
    registry = build_registry(get_plugin_manager())
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="lf-cfgbench-") as tmp:
            settings = Settings(data_dir=Path(tmp))
            projects = ProjectStore(settings, registry)
            ref = ProjectRef("bench", f"p{n}")
            projects.create(ref, "rag")
            datasets = DatasetStore(settings, projects, registry)
            datasets.create(ref, "docs", "universal_processor", "main_db")
            writer = datasets.writer(ref)
            writer.write(b"Wing flutter at supersonic speeds depends on the panel's stiffness.")
            first = datasets.store_upload(ref, writer, "first.txt", "text/plain")
            datasets.add_members(ref, "docs", [first])
            process_files(settings, ref.namespace, ref.name, "docs", [first.record.hash], registry=registry)
            with projects.edit(ref) as project:
                ds = project.config.dataset("docs")
                assert ds is not None
                ds.files = [*ds.files, *(f"{i:064x}" for i in range(n - 1))]
            path = projects.project_dir(ref) / "llamafarm.yaml"
            query_load = getattr(projects, "get_bare", projects.get)

            def ask() -> None:
                project = query_load(ref)  # noqa: B023
                service.query(settings, registry, project, RetrievalRequest(query="wing flutter"))  # noqa: B023

            ask()  # model loaded, store opened
            runs = 3 if n >= 50_000 else 10
            cold = timed(lambda: load_config_file(path), runs)  # noqa: B023
            projects.get(ref)
            cached = timed(lambda: projects.get(ref), 200)  # noqa: B023
            writer = datasets.writer(ref)
            writer.write(b"one more file")
            stored = datasets.store_upload(ref, writer, "more.txt", "text/plain")
            t0 = time.perf_counter()
            datasets.add_members(ref, "docs", [stored])
            upload = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            query_load(ref)
            after_upload = (time.perf_counter() - t0) * 1000
            steady = timed(ask, 10)
            query_after = []
            for i in range(3):
                writer = datasets.writer(ref)
                writer.write(f"yet another file {i}".encode())
                datasets.add_members(
                    ref, "docs", [datasets.store_upload(ref, writer, f"more{i}.txt", "text/plain")]
                )
                query_after.append(timed(ask, 1))
            rows.append(
                (
                    n,
                    path.stat().st_size,
                    cold,
                    cached,
                    upload,
                    after_upload,
                    statistics.median(query_after),
                    steady,
                )
            )
    print(f"\nConfig cost by dataset size; {machine()}\n")
    print(
        "| files | llamafarm.yaml bytes | parse (ms) | ProjectStore.get, cached (ms) "
        "| add one upload (ms) | query-path load after it (ms) | query after an upload (ms) "
        "| query, steady (ms) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, size, cold, cached, upload, after, q_after, q_steady in rows:
        print(
            f"| {n:,} | {size:,} | {cold:.1f} | {cached:.3f} | {upload:.1f} | {after:.1f} "
            f"| {q_after:.1f} | {q_steady:.1f} |"
        )


if __name__ == "__main__":
    main()
