"""What a project's file count costs: loading its config (cold parse vs the per-process cache
a query uses) and adding one uploaded file to a dataset, at 1,400 / 10,000 / 100,000 files.
Prints a table; asserts nothing.

    .venv/bin/python bench/config_scale.py [--sizes 1400,10000,100000]

The project is the ``rag`` template with one dataset whose ``files`` lists N hashes (what
``datasets[].files`` holds after N uploads); core API in this process, no HTTP.
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
    from llamafarm_core.plugins import build_registry, get_plugin_manager
    from llamafarm_core.projects import ProjectRef, ProjectStore
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
            with projects.edit(ref) as project:
                ds = project.config.dataset("docs")
                assert ds is not None
                ds.files = [f"{i:064x}" for i in range(n)]
            path = projects.project_dir(ref) / "llamafarm.yaml"
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
            projects.get(ref)
            after_upload = (time.perf_counter() - t0) * 1000
            rows.append((n, path.stat().st_size, cold, cached, upload, after_upload))
    print(f"\nConfig cost by dataset size; {machine()}\n")
    print(
        "| files listed | llamafarm.yaml bytes | parse (ms) | ProjectStore.get, cached (ms) "
        "| add one upload (ms) | first get after it (ms) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n, size, cold, cached, upload, after in rows:
        print(f"| {n:,} | {size:,} | {cold:.1f} | {cached:.3f} | {upload:.1f} | {after:.1f} |")


if __name__ == "__main__":
    main()
