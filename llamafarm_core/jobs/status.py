"""A task's state, from its jobs' outcomes on disk and their status in RQ.

:func:`job_states` reads RQ; :func:`describe` is pure (records in, view out).
:func:`describe_summary` is the view for polling a large task: the same state and counts
from one :class:`JobSummary` per job (an ended job's is built from its outcome and can be
kept while that file stays the same), so its cost grows with the jobs, not the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from pydantic import ValidationError

from llamafarm_core.jobs.queues import SERIALIZER
from llamafarm_core.jobs.records import (
    FileDetail,
    FileStatus,
    JobOutcome,
    JobPlan,
    TaskRecord,
    TaskState,
    TaskView,
)

if TYPE_CHECKING:
    from redis import Redis

ABANDONED_REASON = (
    "the worker running this job stopped in the middle of it (killed or crashed) and the job "
    "was not retried; process the dataset again to retry these files"
)
LOST_REASON = (
    "the job is no longer in Redis (was Redis restarted without persistence, or flushed?); "
    "process the dataset again"
)


class JobPhase(str, Enum):
    PENDING = "pending"
    RETRY = "retry"
    STARTED = "started"
    DONE = "done"  # ended with an outcome (which may carry an error)
    FAILED = "failed"  # raised until retries ran out, or was abandoned
    CANCELLED = "cancelled"
    LOST = "lost"


TERMINAL = {JobPhase.DONE, JobPhase.FAILED, JobPhase.CANCELLED, JobPhase.LOST}
_BUSY = (FileStatus.PROCESSING, FileStatus.RETRY)  # the files a summary lists


@dataclass(frozen=True)
class JobState:
    phase: JobPhase
    outcome: JobOutcome | None = None
    error: str | None = None
    traceback: str | None = None
    done: int = 0  # files finished so far by a running job (its published progress)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else text


def _rq_state(job: object) -> JobState:
    """Map one RQ job (``rq.job.Job``) to our phases."""
    from rq.job import Job, JobStatus

    assert isinstance(job, Job)
    status = job.get_status(refresh=False)
    retried = job.retries_left is not None and job.retries_left < int(job.meta.get("retries", 0))
    if status == JobStatus.SCHEDULED or (status == JobStatus.QUEUED and retried):
        return JobState(JobPhase.RETRY)
    if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.CREATED, JobStatus.READY_TO_ENQUEUE):
        return JobState(JobPhase.PENDING)
    if status == JobStatus.STARTED:
        return JobState(JobPhase.STARTED, done=int(job.meta.get("done", 0)))
    if status == JobStatus.CANCELED:
        return JobState(JobPhase.CANCELLED)
    if status == JobStatus.FINISHED:
        try:
            return JobState(JobPhase.DONE, outcome=JobOutcome.model_validate(job.return_value()))
        except ValidationError:
            return JobState(JobPhase.FAILED, error="the job finished without a readable result")
    result = job.latest_result()
    exc = (result.exc_string if result is not None else "") or ""
    if "AbandonedJobError" in exc:
        return JobState(JobPhase.FAILED, error=ABANDONED_REASON, traceback=exc or None)
    return JobState(JobPhase.FAILED, error=_last_line(exc) or f"job {status.value}", traceback=exc or None)


def job_states(connection: Redis, record: TaskRecord, outcomes: dict[str, JobOutcome]) -> dict[str, JobState]:
    """Each job's state: its outcome file when it has one, else what RQ knows."""
    states = {job_id: JobState(JobPhase.DONE, outcome=o) for job_id, o in outcomes.items()}
    states.update(rq_states(connection, record, set(states)))
    return states


def rq_states(connection: Redis, record: TaskRecord, ended: set[str]) -> dict[str, JobState]:
    """What RQ knows of each job not in ``ended`` (the jobs that have an outcome)."""
    from rq.job import Job

    states: dict[str, JobState] = {}
    pending = [plan.job_id for plan in record.jobs if plan.job_id not in ended]
    if pending:
        jobs = Job.fetch_many(pending, connection=connection, serializer=SERIALIZER)
        for job_id, job in zip(pending, jobs, strict=True):
            if job is None:
                phase = JobPhase.CANCELLED if record.cancelled_at else JobPhase.LOST
                states[job_id] = JobState(phase, error=None if record.cancelled_at else LOST_REASON)
            else:
                states[job_id] = _rq_state(job)
    return states


_FILE_STATUS = {
    JobPhase.PENDING: FileStatus.PENDING,
    JobPhase.RETRY: FileStatus.RETRY,
    JobPhase.STARTED: FileStatus.PROCESSING,
    JobPhase.CANCELLED: FileStatus.CANCELLED,
    JobPhase.FAILED: FileStatus.FAILED,
    JobPhase.LOST: FileStatus.FAILED,
}


def _job_details(plan: JobPlan, state: JobState) -> list[FileDetail]:
    outcome = state.outcome
    reported = {d.hash: d for d in outcome.files} if outcome else {}
    details: list[FileDetail] = []
    for file_hash in plan.files:
        if file_hash in reported:
            details.append(reported[file_hash])
        elif outcome is not None:  # the job ended with an error before reaching this file
            reason = outcome.error or "the job ended without reporting this file"
            details.append(FileDetail(hash=file_hash, status=FileStatus.FAILED, reason=reason))
        else:
            status = _FILE_STATUS[state.phase]
            details.append(FileDetail(hash=file_hash, status=status, reason=state.error))
    return details


def _details(record: TaskRecord, states: dict[str, JobState]) -> list[FileDetail]:
    return [d for plan in record.jobs for d in _job_details(plan, states[plan.job_id])]


@dataclass(frozen=True)
class JobSummary:
    """One job's share of a task summary: its files by status, its failed files' details,
    and its state with the outcome's error and traceback but without its file list."""

    state: JobState
    counts: dict[FileStatus, int]
    failed: list[FileDetail]


def summarize_job(plan: JobPlan, state: JobState) -> JobSummary:
    """The job's summary; for a job without an outcome, without a detail per file."""
    if (outcome := state.outcome) is not None:
        details = _job_details(plan, state)
        failed = [d for d in details if d.status == FileStatus.FAILED]
        light = JobState(state.phase, error=outcome.error, traceback=outcome.traceback)
        return JobSummary(light, _count(details), failed)
    status = _FILE_STATUS[state.phase]
    counts = {s: len(plan.files) if s == status else 0 for s in FileStatus}
    failed = (
        [FileDetail(hash=h, status=status, reason=state.error) for h in plan.files]
        if status == FileStatus.FAILED
        else []
    )
    return JobSummary(state, counts, failed)


def _count(details: list[FileDetail]) -> dict[FileStatus, int]:
    """Files by status (every status, 0 where none)."""
    return {s: sum(1 for d in details if d.status == s) for s in FileStatus}


def _state(record: TaskRecord, states: dict[str, JobState]) -> tuple[TaskState, str | None, str | None]:
    phases = [s.phase for s in states.values()]
    if not all(p in TERMINAL for p in phases):
        if JobPhase.RETRY in phases:
            return TaskState.RETRY, None, None
        if any(p != JobPhase.PENDING for p in phases):
            return TaskState.STARTED, None, None
        return TaskState.PENDING, None, None
    cancelled = sum(len(p.files) for p in record.jobs if states[p.job_id].phase == JobPhase.CANCELLED)
    if cancelled:
        return (
            TaskState.FAILURE,
            f"task cancelled: {cancelled} of {len(record.files)} files were not processed",
            None,
        )
    for state in states.values():
        error = state.error or (state.outcome.error if state.outcome else None)
        if error:
            trace = state.traceback or (state.outcome.traceback if state.outcome else None)
            return TaskState.FAILURE, error, trace
    return TaskState.SUCCESS, None, None


def describe_summary(record: TaskRecord, summaries: dict[str, JobSummary]) -> TaskView:
    """The task's view as :func:`describe` gives it, with the same state, counts and
    ``current``, but ``files`` only lists the files being processed now (and retried ones)
    and ``details`` only the failed files."""
    count = {s: sum(summary.counts[s] for summary in summaries.values()) for s in FileStatus}
    files = {
        file_hash: status
        for plan in record.jobs
        if (status := _FILE_STATUS.get(summaries[plan.job_id].state.phase)) in _BUSY
        for file_hash in plan.files
    }
    details = [d for plan in record.jobs for d in summaries[plan.job_id].failed]
    return _view(record, {job_id: s.state for job_id, s in summaries.items()}, count, files, details)


def summary_of(view: TaskView) -> TaskView:
    """:func:`describe_summary`'s shape for a full view (a task that has ended)."""
    return view.model_copy(
        update={
            "files": {h: s for h, s in view.files.items() if s in _BUSY},
            "details": [d for d in view.details if d.status == FileStatus.FAILED],
        }
    )


def describe(record: TaskRecord, states: dict[str, JobState]) -> TaskView:
    """The task's view: SUCCESS once every job ended (files may have failed alone, they
    are counted), FAILURE if a job as a whole failed or the task was cancelled."""
    details = _details(record, states)
    return _view(record, states, _count(details), {d.hash: d.status for d in details}, details)


def _view(
    record: TaskRecord,
    states: dict[str, JobState],
    count: dict[FileStatus, int],
    files: dict[str, FileStatus],
    details: list[FileDetail],
) -> TaskView:
    """The view from the jobs' states and the files' counts by status (what is done, plus
    the published progress of running jobs, is ``current``)."""
    state, error, trace = _state(record, states)
    return TaskView(
        task_id=record.task_id,
        state=state,
        namespace=record.namespace,
        project=record.project,
        dataset=record.dataset,
        total=len(record.files),
        current=sum(n for s, n in count.items() if s.done) + sum(s.done for s in states.values()),
        files=files,
        details=details,
        processed_files=count[FileStatus.PROCESSED],
        skipped_files=count[FileStatus.SKIPPED],
        failed_files=count[FileStatus.FAILED],
        error=error,
        traceback=trace,
    )
