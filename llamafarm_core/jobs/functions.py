"""Job functions: module-level, plain ids in, JSON out, named by import path.

Every file job has the signature
``(task_id, namespace, project, dataset, file_hashes, instance) -> dict`` and goes through
:func:`run_file_job`, which decides what a failure means:

- a transient failure (a provider's timeout or error, infrastructure away) propagates while
  the job has retries left, and RQ retries it after a backoff (the task shows RETRY
  meanwhile); on the last attempt the pipeline fails the files alone, each with its reason;
- any other error ends the job with an outcome naming it, so each of its files is failed
  with that reason and nothing is retried in vain;
- the job's outcome is written to the task's directory before the job returns.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llamafarm_core.errors import LlamaFarmError, ServiceUnavailable, UpstreamError
from llamafarm_core.jobs import context
from llamafarm_core.jobs.records import FileDetail, JobOutcome, TaskStore
from llamafarm_core.secrets import redact

if TYPE_CHECKING:
    from rq.job import Job

log = logging.getLogger("llamafarm.jobs")

PROCESS_FILES = "llamafarm_core.jobs.functions.process_files"

# Failures worth another attempt later: the same files may well succeed then.
TRANSIENT: tuple[type[BaseException], ...] = (UpstreamError, ServiceUnavailable)

# How often a running job publishes its progress (files done) for the task's meta.
PROGRESS_EVERY_S = 1.0


@dataclass(frozen=True)
class Attempt:
    """What a work function may want to know about the attempt it runs in."""

    reraise: tuple[type[BaseException], ...]  # errors to raise (retries left) rather than absorb
    progress: Callable[[int, int], None]  # (files done, files total)


# work(ctx, namespace, project, dataset, file_hashes, attempt) -> one detail dict per file
FileWork = Callable[[context.JobContext, str, str, str, list[str], Attempt], list[dict[str, Any]]]


def _transient(err: BaseException) -> bool:
    if isinstance(err, TRANSIENT):
        return True
    from redis.exceptions import ConnectionError, TimeoutError

    return isinstance(err, ConnectionError | TimeoutError)


def _current_job() -> Job:
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        raise RuntimeError("a file job must run inside an RQ worker")
    return job


def _progress_publisher(job: Job) -> Callable[[int, int], None]:
    """Publish files done to the job's meta (read by the task view), at most once a second."""
    last = 0.0

    def publish(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY_S and done < total:
            return
        last = time.monotonic()
        job.meta["done"] = done
        try:
            job.save_meta()
        except Exception as err:  # progress is cosmetic; never fail the job over it
            log.debug("job %s: progress not saved: %s", job.id, err)

    return publish


def run_file_job(
    work: FileWork,
    task_id: str,
    namespace: str,
    project: str,
    dataset: str,
    file_hashes: list[str],
    instance: str,
) -> dict[str, Any]:
    """Run ``work`` over the job's files and record its outcome (see module doc)."""
    from rq.timeouts import JobTimeoutException

    ctx = context.current()
    job = _current_job()
    job_id = job.id
    context.check_instance(ctx.settings, instance)  # a misplaced worker: let another take it
    attempt = Attempt(
        reraise=TRANSIENT if job.retries_left else (),
        progress=_progress_publisher(job),
    )
    try:
        details = work(ctx, namespace, project, dataset, file_hashes, attempt)
        files = [FileDetail.model_validate(d) for d in details]
        outcome = JobOutcome(job_id=job_id, files=files)
    except JobTimeoutException:
        limit = ctx.settings.job_timeout_seconds
        outcome = JobOutcome(
            job_id=job_id,
            error=f"the job ran longer than its limit of {limit}s (LF_JOB_TIMEOUT_SECONDS)",
        )
    except Exception as err:
        if _transient(err):
            log.warning("job %s: transient failure, RQ retries it if attempts remain: %s", job_id, err)
            raise
        if isinstance(err, LlamaFarmError):
            outcome = JobOutcome(job_id=job_id, error=err.message)
        else:
            log.exception("job %s failed", job_id)
            outcome = JobOutcome(
                job_id=job_id,
                error=redact(f"{type(err).__name__}: {err}"),
                traceback=redact(traceback.format_exc()),
            )
    TaskStore(ctx.settings).write_outcome(namespace, project, task_id, outcome)
    return outcome.model_dump(mode="json")


def _process_work(
    ctx: context.JobContext,
    namespace: str,
    project: str,
    dataset: str,
    file_hashes: list[str],
    attempt: Attempt,
) -> list[dict[str, Any]]:
    from llamafarm_core.ingest import pipeline

    report = pipeline.process_files(
        ctx.settings,
        namespace,
        project,
        dataset,
        file_hashes,
        registry=ctx.registry,
        progress=attempt.progress,
        reraise=attempt.reraise,
    )
    return [r.to_dict() for r in report.results]


def process_files(
    task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str
) -> dict[str, Any]:
    """Parse, chunk, extract, embed and store ``file_hashes`` of a dataset."""
    return run_file_job(_process_work, task_id, namespace, project, dataset, file_hashes, instance)
