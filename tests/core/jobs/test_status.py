"""A task's summary view (for polling) agrees with its full view on state, counts and
progress, in every phase a job can be in, and lists only busy files and failed details."""

from __future__ import annotations

from llamafarm_core.jobs.records import FileDetail, FileStatus, JobOutcome, JobPlan, TaskRecord, TaskState
from llamafarm_core.jobs.status import (
    JobPhase,
    JobState,
    describe,
    describe_summary,
    summarize_job,
    summary_of,
)


def files(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}".ljust(64, "0") for i in range(n)]


def record(*groups: list[str]) -> TaskRecord:
    jobs = [JobPlan(job_id=f"job-{n}", files=g) for n, g in enumerate(groups)]
    return TaskRecord(
        task_id="t",
        function="f",
        namespace="ns",
        project="p",
        dataset="d",
        files=[h for g in groups for h in g],
        jobs=jobs,
    )


def detail(file_hash: str, status: FileStatus, reason: str | None = None) -> FileDetail:
    return FileDetail(hash=file_hash, status=status, filename=f"{file_hash[:3]}.txt", reason=reason, chunks=2)


def summarized(task: TaskRecord, states: dict[str, JobState]):  # type: ignore[no-untyped-def]
    return describe_summary(task, {p.job_id: summarize_job(p, states[p.job_id]) for p in task.jobs})


def agree(full, summary) -> None:  # type: ignore[no-untyped-def]
    for field in (
        "state",
        "total",
        "current",
        "processed_files",
        "skipped_files",
        "failed_files",
        "error",
        "traceback",
    ):
        assert getattr(summary, field) == getattr(full, field), field
    assert summary.details == [d for d in full.details if d.status == FileStatus.FAILED]
    busy = {FileStatus.PROCESSING, FileStatus.RETRY}
    assert summary.files == {h: s for h, s in full.files.items() if s in busy}


def test_a_running_task_in_every_phase_summarizes_like_its_full_view() -> None:
    ended, partial, running, waiting, retrying, failed = (files(p, 3) for p in "abcdef")
    task = record(ended, partial, running, waiting, retrying, failed)
    outcome = JobOutcome(
        job_id="job-0",
        files=[
            detail(ended[0], FileStatus.PROCESSED),
            detail(ended[1], FileStatus.SKIPPED),
            detail(ended[2], FileStatus.FAILED, "unsupported file type"),
        ],
    )
    stopped = JobOutcome(
        job_id="job-1", files=[detail(partial[0], FileStatus.PROCESSED)], error="embedder gone"
    )
    states = {
        "job-0": JobState(JobPhase.DONE, outcome=outcome),
        "job-1": JobState(JobPhase.DONE, outcome=stopped),
        "job-2": JobState(JobPhase.STARTED, done=2),
        "job-3": JobState(JobPhase.PENDING),
        "job-4": JobState(JobPhase.RETRY),
        "job-5": JobState(JobPhase.FAILED, error="worker killed", traceback="Traceback…"),
    }
    full = describe(task, states)
    summary = summarized(task, states)

    agree(full, summary)
    assert summary.state == TaskState.RETRY
    assert (summary.current, summary.processed_files, summary.failed_files) == (2 + 4 + 2 + 3, 2, 1 + 2 + 3)
    assert set(summary.files) == {*running, *retrying}
    assert [d.hash for d in summary.details] == [ended[2], *partial[1:], *failed]
    assert summary.details[0].filename == f"{ended[2][:3]}.txt"  # an outcome's detail, as reported


def test_an_ended_task_summarizes_like_its_full_view_with_the_first_error() -> None:
    first, second = files("a", 2), files("b", 2)
    task = record(first, second)
    states = {
        "job-0": JobState(
            JobPhase.DONE,
            outcome=JobOutcome(job_id="job-0", files=[detail(h, FileStatus.PROCESSED) for h in first]),
        ),
        "job-1": JobState(
            JobPhase.DONE, outcome=JobOutcome(job_id="job-1", error="dataset gone", traceback="tb")
        ),
    }
    full = describe(task, states)
    agree(full, summarized(task, states))
    agree(full, summary_of(full))
    assert full.state == TaskState.FAILURE and full.error == "dataset gone"
