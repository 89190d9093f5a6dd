"""Scale-out on one dataset: processing throughput of 2 workers pinned to one core each
against 1 worker pinned to one core.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/ingest_scaleout.py [--limit N] [--compare /work/base]

Each configuration is a fresh ``llamafarm serve --workers 0`` (temp data dir) with workers
started as ``taskset -c CORE llamafarm worker`` (see ``ingest`` in bench/ingest_cranfield.py):
the Cranfield abstracts are uploaded as .txt and processed as one task (its files split into
jobs of ``LF_JOB_BATCH_FILES``). Only the processing phase is compared (uploads go through the
one web process). ``--compare PATH`` measures another checkout (e.g. the baseline, whose
per-dataset lock serialises the workers) in the same run. Prints a table and writes
bench/results/scaleout.json; asserts nothing. On a shared machine the second core is shared
with everything else running: read the ratio with the load average printed next to it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_cranfield import CRAN, ingest, read_docs, save_results  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents")
    ap.add_argument("--job-batch", type=int, default=None, help="LF_JOB_BATCH_FILES (default: the server's)")
    ap.add_argument("--compare", type=Path, default=None, help="also measure this checkout (e.g. /work/base)")
    args = ap.parse_args()
    docs = read_docs(CRAN)[: args.limit]
    codes: list[tuple[str, Path | None]] = [("after", None)]
    if args.compare:
        codes.insert(0, ("before", args.compare.resolve()))
    rows = []
    for label, code in codes:
        one = ingest(docs, f"{label}, 1 worker", code=code, job_batch=args.job_batch, cores=[0])
        load1 = os.getloadavg()[0]
        two = ingest(docs, f"{label}, 2 workers", code=code, job_batch=args.job_batch, cores=[0, 1])
        load2 = os.getloadavg()[0]
        for run, load in ((one, load1), (two, load2)):
            row = run.row(len(docs))
            row["load_avg"] = round(load, 1)
            rows.append(row)
        rows[-1]["x_one_worker"] = round(rows[-1]["process_docs_per_s"] / rows[-2]["process_docs_per_s"], 3)
    print(
        f"\nScale-out, {len(docs)} Cranfield abstracts, workers pinned with taskset (1: core 0; 2: cores 0, 1)\n"
    )
    print("| run | process s | process docs/s | × 1 worker | load avg (1 min) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        ratio = f"{row['x_one_worker']:.2f}" if "x_one_worker" in row else "1.00"
        print(
            f"| {row['label']} | {row['process_s']:.1f} | {row['process_docs_per_s']:.1f} | {ratio} "
            f"| {row['load_avg']} |"
        )
    print(f"\n(results: {save_results('scaleout', {'docs': len(docs), 'runs': rows})})")


if __name__ == "__main__":
    main()
