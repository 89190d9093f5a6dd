"""Job functions: module-level, plain ids in, JSON out, named by import path.

Every file job has the signature
``(task_id, namespace, project, dataset, file_hashes, instance) -> dict`` and goes through
:func:`run_file_job`, which decides what a failure means:

- a transient failure (a provider's timeout or error, infrastructure away) propagates, and
  RQ retries the job after a backoff (the task shows RETRY meanwhile);
- any other error ends the job with an outcome naming it, so each of its files is failed
  with that reason and nothing is retried in vain;
- the job's outcome is written to the task's directory before the job returns.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from llamafarm_core.errors import LlamaFarmError, ServiceUnavailable, UpstreamError
from llamafarm_core.jobs import context
from llamafarm_core.jobs.records import FileDetail, JobOutcome, TaskStore

log = logging.getLogger("llamafarm.jobs")

PROCESS_FILES = "llamafarm_core.jobs.functions.process_files"

# Failures worth another attempt later: the same files may well succeed then.
TRANSIENT: tuple[type[BaseException], ...] = (UpstreamError, ServiceUnavailable)

# work(ctx, namespace, project, dataset, file_hashes) -> one detail dict per file
FileWork = Callable[[context.JobContext, str, str, str, list[str]], list[dict[str, Any]]]


def _transient(err: BaseException) -> bool:
    if isinstance(err, TRANSIENT):
        return True
    from redis.exceptions import ConnectionError, TimeoutError

    return isinstance(err, ConnectionError | TimeoutError)


def _current_job_id() -> str:
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        raise RuntimeError("a file job must run inside an RQ worker")
    return job.id


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
    job_id = _current_job_id()
    context.check_instance(ctx.settings, instance)  # a misplaced worker: let another take it
    try:
        files = [FileDetail.model_validate(d) for d in work(ctx, namespace, project, dataset, file_hashes)]
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
                job_id=job_id, error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc()
            )
    TaskStore(ctx.settings).write_outcome(namespace, project, task_id, outcome)
    return outcome.model_dump(mode="json")


def _process_work(
    ctx: context.JobContext, namespace: str, project: str, dataset: str, file_hashes: list[str]
) -> list[dict[str, Any]]:
    from llamafarm_core.ingest import pipeline

    results = pipeline.process_files(ctx.settings, namespace, project, dataset, file_hashes)
    return [r.to_dict() for r in results]


def process_files(
    task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str
) -> dict[str, Any]:
    """Parse, chunk, extract, embed and store ``file_hashes`` of a dataset."""
    return run_file_job(_process_work, task_id, namespace, project, dataset, file_hashes, instance)
