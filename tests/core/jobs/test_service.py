"""The jobs service with a real Redis and no worker process: jobs run inline, through the
same worker class, so states, retries and outcomes are those of a worker run."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from llamafarm_core.errors import NotFound, ServiceUnavailable
from llamafarm_core.jobs.records import FileStatus, TaskState
from llamafarm_core.jobs.service import MIN_JOB_FILES, JobService, files_per_job
from llamafarm_core.settings import Settings
from tests.jobs_fixtures import CRASH, ECHO, FLAKY, REFUSE, SLOW, executions

NS, PROJECT, DATASET = "team", "proj", "docs"


def hashes(n: int) -> list[str]:
    return [f"{i:064x}" for i in range(n)]


@pytest.fixture
def service(settings: Settings, registry) -> JobService:  # type: ignore[no-untyped-def]
    svc = JobService(dataclasses.replace(settings, job_batch_files=4), registry)
    yield svc
    svc.close()


def test_sync_wait_runs_the_jobs_inline_and_reports_every_file(service: JobService, data_dir) -> None:
    files = hashes(10)
    sub = service.submit(NS, PROJECT, DATASET, files, function=ECHO)
    assert not sub.existing
    assert [len(j.files) for j in sub.record.jobs] == [4, 4, 2]  # groups of job_batch_files
    assert service.get(NS, PROJECT, sub.record.task_id).state == TaskState.PENDING

    view = service.wait(sub.record, timeout=60)

    assert view.state == TaskState.SUCCESS
    assert (view.current, view.total, view.processed_files) == (10, 10, 10)
    assert set(view.files.values()) == {FileStatus.PROCESSED}
    assert [d.hash for d in view.details] == files
    assert sorted(executions(data_dir)) == sorted(files)  # each exactly once


def test_a_file_that_fails_fails_alone(service: JobService) -> None:
    files = [*hashes(3), "bad".ljust(64, "0")]
    view = service.wait(service.submit(NS, PROJECT, DATASET, files, function=ECHO).record, timeout=60)
    assert view.state == TaskState.SUCCESS
    assert (view.processed_files, view.failed_files) == (3, 1)
    failed = [d for d in view.details if d.status == FileStatus.FAILED]
    assert [d.reason for d in failed] == ["unsupported file type"]


def test_a_non_transient_error_fails_the_job_once_with_its_reason(service: JobService, data_dir) -> None:
    files = hashes(2)
    view = service.wait(service.submit(NS, PROJECT, DATASET, files, function=REFUSE).record, timeout=60)
    assert view.state == TaskState.FAILURE
    assert view.error == "dataset strategy 'nope' is not in the config"
    assert {d.reason for d in view.details} == {view.error}
    assert view.failed_files == 2
    assert len(executions(data_dir)) == 2  # ran once, not retried


def test_a_bug_in_a_job_fails_the_task_with_the_traceback(service: JobService) -> None:
    view = service.wait(service.submit(NS, PROJECT, DATASET, hashes(1), function=CRASH).record, timeout=60)
    assert view.state == TaskState.FAILURE
    assert view.error == "ZeroDivisionError: a bug"
    assert view.traceback and "ZeroDivisionError" in view.traceback


def test_a_transient_failure_is_retried_and_the_task_shows_retry(
    settings: Settings, registry, data_dir
) -> None:  # type: ignore[no-untyped-def]
    service = JobService(dataclasses.replace(settings, job_retry_delays=(2, 2)), registry)
    (data_dir / "flaky").write_text("1")  # the first attempt times out
    sub = service.submit(NS, PROJECT, DATASET, hashes(1), function=FLAKY)
    seen: list[TaskState] = []

    def watch() -> None:
        while not seen or not seen[-1].terminal:
            seen.append(service.get(NS, PROJECT, sub.record.task_id).state)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    view = service.wait(sub.record, timeout=60)
    watcher.join(10)
    assert view.state == TaskState.SUCCESS
    assert TaskState.RETRY in seen
    assert (data_dir / f"attempts-{hashes(1)[0]}").read_text() == "2"


def test_retries_run_out_into_a_failure_naming_the_upstream_error(
    settings: Settings, registry, data_dir
) -> None:  # type: ignore[no-untyped-def]
    service = JobService(dataclasses.replace(settings, job_retry_delays=(0, 0)), registry)
    (data_dir / "flaky").write_text("99")
    view = service.wait(service.submit(NS, PROJECT, DATASET, hashes(1), function=FLAKY).record, timeout=60)
    assert view.state == TaskState.FAILURE
    assert "UpstreamTimeout: embedder did not answer (attempt 3)" in (view.error or "")
    assert view.details[0].status == FileStatus.FAILED


def test_a_second_request_for_a_busy_dataset_gets_the_running_task(service: JobService) -> None:
    first = service.submit(NS, PROJECT, DATASET, hashes(3), function=ECHO)
    second = service.submit(NS, PROJECT, DATASET, hashes(5), function=ECHO)
    assert second.existing and second.record.task_id == first.record.task_id
    other_dataset = service.submit(NS, PROJECT, "other", hashes(1), function=ECHO)
    assert not other_dataset.existing

    service.wait(first.record, timeout=60)
    third = service.submit(NS, PROJECT, DATASET, hashes(3), function=ECHO)
    assert not third.existing and third.record.task_id != first.record.task_id


def test_concurrent_requests_make_one_task(service: JobService, data_dir) -> None:
    results: list[str] = []
    barrier = threading.Barrier(6)

    def submit() -> None:
        barrier.wait()
        results.append(service.submit(NS, PROJECT, DATASET, hashes(8), function=ECHO).record.task_id)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    records = list((data_dir / "projects" / NS / PROJECT / "tasks").glob("*.json"))
    assert [r.stem for r in records] == results[:1]  # the losers left no record behind


def test_cancel_stops_what_has_not_run_and_says_what_was_done(service: JobService, data_dir) -> None:
    (data_dir / "sleep").write_text("0")
    sub = service.submit(NS, PROJECT, DATASET, hashes(12), function=SLOW)
    # run the first job only, as a worker would, then cancel the rest
    from llamafarm_core.jobs.context import JobContext
    from llamafarm_core.jobs.inline import run_task_inline

    first_only = sub.record.model_copy(update={"jobs": sub.record.jobs[:1]})
    assert run_task_inline(service.redis, first_only, JobContext(service.settings, service.registry)) == 1

    done = service.cancel(NS, PROJECT, sub.record.task_id)

    assert sorted(done.cancelled_files) == sorted(hashes(12)[4:])
    assert sorted(done.done_files) == sorted(hashes(12)[:4])
    assert done.view.state == TaskState.FAILURE
    assert done.view.error == "task cancelled: 8 of 12 files were not processed"
    assert sorted(executions(data_dir)) == sorted(hashes(12)[:4])
    # nothing left to run, and cancelling again changes nothing
    assert service.wait(sub.record, timeout=5).state == TaskState.FAILURE
    again = service.cancel(NS, PROJECT, sub.record.task_id)
    assert again.cancelled_files == [] and again.view.state == TaskState.FAILURE


def test_the_state_survives_redis_losing_everything(service: JobService) -> None:
    sub = service.submit(NS, PROJECT, DATASET, hashes(3), function=ECHO)
    service.wait(sub.record, timeout=60)
    service.redis.flushall()
    view = service.get(NS, PROJECT, sub.record.task_id)
    assert view.state == TaskState.SUCCESS and view.processed_files == 3


def test_jobs_lost_from_redis_fail_with_a_reason(service: JobService) -> None:
    sub = service.submit(NS, PROJECT, DATASET, hashes(3), function=ECHO)
    service.redis.flushall()  # e.g. an external Redis without persistence restarted
    view = service.get(NS, PROJECT, sub.record.task_id)
    assert view.state == TaskState.FAILURE
    assert "no longer in Redis" in (view.error or "")


def test_unknown_and_malformed_task_ids_are_not_found(service: JobService) -> None:
    with pytest.raises(NotFound):
        service.get(NS, PROJECT, "2b1c1f70-8a66-4e8e-9f57-0c0f0b0b0b0b")
    with pytest.raises(NotFound):
        service.get(NS, PROJECT, "../../etc/passwd")


def test_redis_unreachable_is_service_unavailable_with_the_reason(data_dir, registry) -> None:  # type: ignore[no-untyped-def]
    service = JobService(Settings(data_dir=data_dir, redis_url="redis://127.0.0.1:1/0"), registry)
    with pytest.raises(ServiceUnavailable, match=r"Redis at redis://127.0.0.1:1/0 is unreachable"):
        service.submit(NS, PROJECT, DATASET, hashes(1), function=ECHO)
    with pytest.raises(ServiceUnavailable):
        service.ping()
    assert list(data_dir.rglob("*.json")) == []  # nothing half-submitted


def test_an_empty_task_succeeds_at_once(service: JobService) -> None:
    sub = service.submit(NS, PROJECT, DATASET, [], function=ECHO)
    view = service.wait(sub.record, timeout=5)
    assert (view.state, view.total, view.current) == (TaskState.SUCCESS, 0, 0)


def test_a_summary_poll_reads_each_ended_jobs_outcome_once_and_counts_like_the_view(
    service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llamafarm_core.jobs import records
    from llamafarm_core.jobs.context import JobContext
    from llamafarm_core.jobs.inline import run_task_inline

    files = [*hashes(3), "bad".ljust(64, "0"), *hashes(11)[3:]]  # 12 files, jobs of 4
    sub = service.submit(NS, PROJECT, DATASET, files, function=ECHO)
    first_only = sub.record.model_copy(update={"jobs": sub.record.jobs[:1]})
    assert run_task_inline(service.redis, first_only, JobContext(service.settings, service.registry)) == 1
    reads: list[str] = []
    real_read = records.read_json
    monkeypatch.setattr(records, "read_json", lambda path, *a: reads.append(path.name) or real_read(path, *a))

    polls = [service.get(NS, PROJECT, sub.record.task_id, summary=True) for _ in range(3)]
    full = service.get(NS, PROJECT, sub.record.task_id)

    first_outcome = f"{sub.record.jobs[0].job_id}.json"
    record_file = f"{sub.record.task_id}.json"
    assert reads.count(first_outcome) == 2  # once for the polls, once for the full view
    assert reads.count(record_file) == 1  # the record is parsed again only when it changes
    summary = polls[-1]
    assert summary.state == full.state == TaskState.STARTED
    assert (summary.current, summary.processed_files, summary.failed_files) == (4, 3, 1)
    assert (full.current, full.processed_files, full.failed_files) == (4, 3, 1)
    assert [d.reason for d in summary.details] == ["unsupported file type"]  # only the failure
    assert summary.files == {} and len(full.files) == 12  # nothing runs right now

    # a job run again (its worker died after writing) replaces its outcome: the polls follow
    rerun = records.JobOutcome(
        job_id=sub.record.jobs[0].job_id,
        files=[records.FileDetail(hash=h, status=FileStatus.SKIPPED) for h in sub.record.jobs[0].files],
    )
    service.store.write_outcome(NS, PROJECT, sub.record.task_id, rerun)
    again = service.get(NS, PROJECT, sub.record.task_id, summary=True)
    assert (again.skipped_files, again.processed_files, again.failed_files, again.details) == (4, 0, 0, [])

    ended = service.wait(sub.record, timeout=60)
    final = service.get(NS, PROJECT, sub.record.task_id, summary=True)
    assert final.state == ended.state == TaskState.SUCCESS
    assert (final.processed_files, final.skipped_files, final.failed_files, final.current) == (8, 4, 0, 12)
    assert final.details == []


def test_one_worker_gets_jobs_of_the_setting_and_several_share_a_task_evenly() -> None:
    assert files_per_job(1400, 512, 0) == files_per_job(1400, 512, 1) == 512  # 512, 512, 376
    assert files_per_job(1400, 512, 2) == 350  # four jobs: two each
    assert files_per_job(100_000, 512, 4) == 512  # plenty of jobs for four
    assert files_per_job(300, 512, 8) == MIN_JOB_FILES  # not smaller than that
    assert files_per_job(10, 4, 3) == 4  # never more than the setting
    assert files_per_job(0, 512, 2) == 512


def test_a_task_is_split_for_the_workers_alive_when_it_is_submitted(settings: Settings, registry) -> None:  # type: ignore[no-untyped-def]
    from redis import Redis
    from rq import Worker

    from llamafarm_core.jobs.queues import get_queue

    svc = JobService(dataclasses.replace(settings, job_batch_files=512), registry)
    connection = Redis.from_url(settings.redis_url)
    workers = [Worker([get_queue(connection)], connection=connection, name=f"w{i}") for i in range(2)]
    try:
        assert [len(j.files) for j in svc.plan(NS, PROJECT, DATASET, hashes(1400), ECHO).jobs] == [
            512,
            512,
            376,
        ]
        for worker in workers:
            worker.register_birth()  # alive as far as Redis knows, as a started worker is
        assert svc.alive_workers() == 2
        assert [len(j.files) for j in svc.plan(NS, PROJECT, DATASET, hashes(1400), ECHO).jobs] == [350] * 4
    finally:
        for worker in workers:
            worker.register_death()
        connection.close()
        svc.close()
