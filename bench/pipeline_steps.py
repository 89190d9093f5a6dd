"""Where a processing run's time goes, step by step, in one process (what a worker runs).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/pipeline_steps.py [--limit N]
        [--job-files 256] [--rounds 2] [--compare PATH]

Each measurement runs in a fresh child process: it uploads the Cranfield abstracts (.txt)
into a dataset of a new ``rag``-template project (temp data dir), loads the model, then
runs ``process_files`` over them in runs of ``--job-files`` files, as a worker runs its jobs,
and times (by wrapping the pipeline's steps):

- **embed**: the embedder calls; **write**: the store, lexical index and state writes;
- **first group**: from a run's start until its first group was parsed and ready;
- CPU seconds of the encode lanes, of this process's other threads, and of the parsing
  children: on 2 cores, what the run could take at best is their sum over 2;
- **floor**: afterwards, in the same process, the embedder alone over the very same groups
  of chunk texts (same calls, same batches), with its lanes' CPU: the pipeline's ratio to a
  raw encode of the same chunks without the noise of a second process or another minute.

``--compare PATH`` alternates with another checkout (PYTHONPATH) round by round, so before and
after are measured in one run. Prints a table; asserts nothing. The steps are private names
of ``llamafarm_core.ingest.pipeline``: a checkout without one reports it as 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _cpu_seconds(stat_path: str) -> float:
    try:
        fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu(pid: int) -> float:
    """CPU seconds of ``pid``'s live descendants (the parsing children are persistent)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            total += _cpu_seconds(f"/proc/{kid}/stat") + _children_cpu(kid)
    return total


def child(limit: int, job_files: int) -> dict[str, float]:
    os.environ["HF_HUB_OFFLINE"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="lf-steps-"))
    os.environ["LF_DATA_DIR"] = str(tmp / "data")

    from cranfield import rag_dataset

    from llamafarm_core.ingest import pipeline
    from llamafarm_core.ingest.embedding import EmbedFn, EmbedOutcome
    from llamafarm_core.malloc_tuning import limit_malloc_arenas

    limit_malloc_arenas()  # as a worker does
    settings, registry, projects, ref = rag_dataset(limit or None, "steps")

    took = {"embed": 0.0, "write": 0.0, "first group": 0.0}

    def timed(owner: object, name: str, key: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return

        def wrapper(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                took[key] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    calls: list[tuple[Sequence[Sequence[str]], EmbedFn, int]] = []  # each group's call, for the floor
    embed_files = pipeline.embed_files

    def recorded(texts_per_file: Sequence[Sequence[str]], embed: EmbedFn, batch_size: int) -> EmbedOutcome:
        calls.append((texts_per_file, embed, batch_size))
        return embed_files(texts_per_file, embed, batch_size)

    pipeline.embed_files = recorded
    timed(pipeline, "embed_files", "embed")
    timed(pipeline._Run, "_write", "write")
    stream, flush = getattr(pipeline._Run, "_stream", None), getattr(pipeline._Run, "_flush", None)
    if stream and flush:
        run_start: dict[int, float] = {}

        def timed_stream(self: object, *args: object) -> object:
            run_start[id(self)] = time.perf_counter()
            return stream(self, *args)

        def timed_flush(self: object, group: object) -> object:
            if (start := run_start.pop(id(self), None)) is not None:
                took["first group"] += time.perf_counter() - start
            return flush(self, group)

        pipeline._Run._stream = timed_stream  # type: ignore[method-assign]
        pipeline._Run._flush = timed_flush  # type: ignore[method-assign]

    from llamafarm_core.ingest.isolation import FileBudget
    from llamafarm_core.jobs.warm_up import warm_up

    warm_up(registry, FileBudget.from_settings(settings))  # as a worker does before its first job
    files = projects.get(ref).config.dataset("docs").files
    before = _lanes_cpu()
    own_before = _own_cpu()
    kids_before = _children_cpu(os.getpid())
    start = time.perf_counter()
    chunks = 0
    for first in range(0, len(files), job_files):
        report = pipeline.process_files(settings, "bench", "steps", "docs", files[first : first + job_files])
        chunks += sum(r.chunks or 0 for r in report.results)
    wall = time.perf_counter() - start
    own = _own_cpu() - own_before  # every thread, also those that ended (Chroma's, per client)
    lanes = _lanes_cpu_since(before)
    other = own - lanes
    floor_before = _lanes_cpu()
    floor_start = time.perf_counter()
    for texts_per_file, embed, batch_size in calls:
        embed_files(texts_per_file, embed, batch_size)
    floor = time.perf_counter() - floor_start
    return {
        "floor": floor,
        "floor lanes cpu": _lanes_cpu_since(floor_before),
        "wall": wall,
        "chunks": chunks,
        **took,
        "lanes cpu": lanes,
        "other cpu": other,
        "children cpu": _children_cpu(os.getpid()) - kids_before,
    }


def _lanes_cpu() -> dict[int, float]:
    """CPU seconds used so far by each encode lane (threads named ``lf-encode*``), by thread id."""
    import threading

    return {
        t.native_id: _cpu_seconds(f"/proc/self/task/{t.native_id}/stat")
        for t in threading.enumerate()
        if t.native_id is not None and t.name.startswith("lf-encode")
    }


def _lanes_cpu_since(before: dict[int, float]) -> float:
    """CPU seconds the encode lanes used since ``before`` (a :func:`_lanes_cpu`)."""
    return sum(cpu - before.get(tid, 0.0) for tid, cpu in _lanes_cpu().items())


def run(code: Path, args: argparse.Namespace) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{code}:{code / 'plugins'}:{BENCH}"}
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--limit",
        str(args.limit),
        "--job-files",
        str(args.job_files),
    ]
    out = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.exit(f"{code}: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N documents")
    ap.add_argument("--job-files", type=int, default=256, help="files per process_files run (a job)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--compare", type=Path, default=None, help="another checkout, alternated with this one")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.limit, args.job_files)))
        return
    checkouts = [("before", args.compare.resolve())] if args.compare else []
    checkouts.append(("after" if args.compare else "this", ROOT))
    rows = []
    for round_ in range(1, args.rounds + 1):
        for label, code in checkouts:
            rows.append((label, round_, run(code, args)))
            print(f"{label} round {round_}: {rows[-1][2]['wall']:.1f} s", file=sys.stderr, flush=True)
    print(
        f"\nCranfield through process_files in one process, runs of {args.job_files} files "
        f"(OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs)\n"
    )
    print(
        "| checkout | round | chunks | wall s | embed s | write s | first group s | "
        "lanes CPU s | other CPU s | parsing CPU s | CPU / cores s | floor s | floor lanes CPU s | × floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    cores = len(os.sched_getaffinity(0))
    for label, round_, r in rows:
        cpu = r["lanes cpu"] + r["other cpu"] + r["children cpu"]
        print(
            f"| {label} | {round_} | {r['chunks']:.0f} | {r['wall']:.2f} | {r['embed']:.2f} | {r['write']:.2f} "
            f"| {r['first group']:.2f} | {r['lanes cpu']:.1f} | {r['other cpu']:.1f} | {r['children cpu']:.1f} "
            f"| {cpu / cores:.1f} | {r['floor']:.2f} | {r['floor lanes cpu']:.1f} | {r['floor'] / r['wall']:.2f} |"
        )
    print("\nCPU / cores: the wall time a perfect overlap of all that work would take.")
    print(
        "floor: the embedder alone over the same groups of chunk texts, right after the run in the "
        "same process; × floor = floor s / wall s, the pipeline's chunks/s over the raw encode's."
    )


if __name__ == "__main__":
    main()
