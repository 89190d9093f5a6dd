"""Real `llamafarm worker` processes on a real Redis: sharing work, dying mid-job, Redis
restarting under queued jobs, a worker on the wrong data dir."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamafarm_core.jobs.records import FileStatus, TaskState, TaskView
from llamafarm_core.jobs.redis_server import EmbeddedRedis
from llamafarm_core.jobs.service import JobService
from llamafarm_core.jobs.status import ABANDONED_REASON
from llamafarm_core.settings import Settings
from tests.jobs_fixtures import ECHO, SLOW, WorkerProcess, executions, wait_until

pytestmark = pytest.mark.slow
NS, PROJECT, DATASET = "team", "proj", "docs"


def hashes(n: int) -> list[str]:
    return [f"{i:064x}" for i in range(n)]


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for w in started:
        w.stop()


def make_service(data_dir: Path, redis: EmbeddedRedis, registry, **changes) -> JobService:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=data_dir, redis_url=redis.url, job_batch_files=1, **changes)
    return JobService(settings, registry)


def final(service: JobService, task_id: str, timeout: float) -> TaskView:
    return wait_until(
        lambda: (v := service.get(NS, PROJECT, task_id)).state.terminal and v,
        timeout,
        interval=0.2,
        what=f"task {task_id} ending",
    )


def start(
    workers: list[WorkerProcess], data_dir: Path, redis: EmbeddedRedis, service: JobService, n: int
) -> None:
    for _ in range(n):
        workers.append(WorkerProcess(data_dir, redis.url))
    wait_until(lambda: service.alive_workers() >= n, 60, what=f"{n} live workers")


def test_two_workers_share_fifty_files_each_processed_exactly_once(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry)
    (data_dir / "sleep").write_text("0.05")
    start(workers, data_dir, own_redis, service, 2)

    sub = service.submit(NS, PROJECT, DATASET, hashes(50), function=SLOW)
    view = final(service, sub.record.task_id, 120)

    assert view.state == TaskState.SUCCESS and view.processed_files == 50
    runs = Counter(executions(data_dir))
    assert set(runs) == set(hashes(50)) and set(runs.values()) == {1}
    by_worker = Counter(d.model_extra["worker"] for d in view.details if d.model_extra)
    assert set(by_worker) == {w.pid for w in workers}  # both took part


def _kill_mid_job(data_dir: Path, service: JobService, workers: list[WorkerProcess], redis: EmbeddedRedis):  # type: ignore[no-untyped-def]
    (data_dir / "sleep").write_text("300")  # the job can only end by being killed
    start(workers, data_dir, redis, service, 1)
    victim = workers[0]
    sub = service.submit(NS, PROJECT, DATASET, hashes(1), function=SLOW)
    wait_until(lambda: (data_dir / f"started-{victim.pid}").exists(), 60, what="the job starting")
    victim.kill()
    killed_at = time.monotonic()
    assert service.get(NS, PROJECT, sub.record.task_id).state == TaskState.STARTED
    (data_dir / "sleep").write_text("0")
    start(workers, data_dir, redis, service, 1)  # a survivor; its maintenance notices the death
    return sub, killed_at


def test_a_job_whose_worker_is_killed_is_requeued_and_completes(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry, job_retry_delays=(0,))
    sub, killed_at = _kill_mid_job(data_dir, service, workers, own_redis)

    view = final(service, sub.record.task_id, 60)

    assert time.monotonic() - killed_at < 60
    assert view.state == TaskState.SUCCESS
    assert view.files == {hashes(1)[0]: FileStatus.PROCESSED}
    assert executions(data_dir) == hashes(1)  # the killed run wrote nothing; the re-run once


def test_a_killed_job_without_retries_left_fails_with_a_reason(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry, job_retry_delays=())
    sub, killed_at = _kill_mid_job(data_dir, service, workers, own_redis)

    view = final(service, sub.record.task_id, 60)

    assert time.monotonic() - killed_at < 60
    assert view.state == TaskState.FAILURE
    assert view.error == ABANDONED_REASON
    assert view.details[0].status == FileStatus.FAILED and view.details[0].reason == ABANDONED_REASON


def test_queued_jobs_survive_a_redis_crash_and_complete(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry)
    sub = service.submit(NS, PROJECT, DATASET, hashes(6), function=ECHO)
    own_redis.kill()  # SIGKILL: only what reached the append-only file survives
    own_redis.start()
    service.close()  # drop connections to the dead server

    assert service.get(NS, PROJECT, sub.record.task_id).state == TaskState.PENDING
    start(workers, data_dir, own_redis, service, 1)
    view = final(service, sub.record.task_id, 60)
    assert view.state == TaskState.SUCCESS and view.processed_files == 6
    assert sorted(executions(data_dir)) == hashes(6)


def test_a_worker_reconnects_after_redis_restarts(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry)
    start(workers, data_dir, own_redis, service, 1)
    own_redis.stop()
    own_redis.start()
    service.close()

    sub = service.submit(NS, PROJECT, DATASET, hashes(2), function=ECHO)
    view = final(service, sub.record.task_id, 60)
    assert view.state == TaskState.SUCCESS
    assert workers[0].proc.poll() is None


def test_a_worker_outlives_redis_going_away_between_two_jobs(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    """RQ reconnects only while it waits for a job: Redis gone when a job ends (its result,
    state and heartbeat writes fail) ended RQ's loop, and the worker exited."""
    service = make_service(data_dir, own_redis, registry)
    start(workers, data_dir, own_redis, service, 1)
    (data_dir / "sleep").write_text("1")
    service.submit(NS, PROJECT, DATASET, hashes(1), function=SLOW)
    wait_until(lambda: (data_dir / f"started-{workers[0].pid}").exists(), 60, what="the job starting")
    own_redis.stop()
    wait_until(lambda: executions(data_dir), 30, what="the job ending while Redis is away")
    time.sleep(1)  # the worker's writes after the job fail meanwhile
    own_redis.start()
    service.close()

    (data_dir / "sleep").write_text("0")
    sub = service.submit(NS, PROJECT, DATASET, hashes(3)[2:], function=SLOW)
    view = final(service, sub.record.task_id, 60)
    assert view.state == TaskState.SUCCESS, workers[0].log()
    assert workers[0].proc.poll() is None
    assert {d.model_extra["worker"] for d in view.details if d.model_extra} == {workers[0].pid}


def test_a_worker_on_another_data_dir_refuses_the_job(
    tmp_path: Path, data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry, job_retry_delays=())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    workers.append(WorkerProcess(elsewhere, own_redis.url))

    sub = service.submit(NS, PROJECT, DATASET, hashes(1), function=ECHO)
    view = final(service, sub.record.task_id, 60)

    assert view.state == TaskState.FAILURE
    assert "run workers with the same LF_DATA_DIR" in (view.error or "")
    assert executions(elsewhere) == [] and executions(data_dir) == []


def test_sync_waiting_uses_live_workers_instead_of_running_inline(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry)
    start(workers, data_dir, own_redis, service, 1)
    sub = service.submit(NS, PROJECT, DATASET, hashes(3), function=ECHO)
    view = service.wait(sub.record, timeout=60)
    assert view.state == TaskState.SUCCESS
    assert {d.model_extra["worker"] for d in view.details if d.model_extra} == {workers[0].pid}


def test_a_sync_wait_beside_a_worker_takes_few_full_views_and_returns_when_the_task_ends(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A full view reads every outcome and asks Redis; every 0.2 s beside a worker that
    embeds on every core it cost that worker ~5% (docs/performance.md). Between full views
    the wait only looks for the jobs' outcome files."""
    service = make_service(data_dir, own_redis, registry)
    start(workers, data_dir, own_redis, service, 1)
    (data_dir / "sleep").write_text("3")
    views: list[float] = []
    full_view = service.view
    monkeypatch.setattr(service, "view", lambda record: views.append(time.monotonic()) or full_view(record))
    sub = service.submit(NS, PROJECT, DATASET, hashes(1), function=SLOW)
    started = time.monotonic()
    view = service.wait(sub.record, timeout=60)
    assert view.state == TaskState.SUCCESS
    # One view at once, one per FULL_VIEW_EVERY (2 s) while the job sleeps, one at its end;
    # a view every poll (0.2 s) would be ~15.
    assert len(views) <= 4, [round(t - started, 2) for t in views]
    ended = max(p.stat().st_mtime for p in data_dir.rglob("*.jobs/*.json"))
    assert time.time() - ended < 1.0  # answered within a poll or so of the outcome


def test_a_burst_worker_drains_the_queue_and_exits(
    data_dir: Path, own_redis: EmbeddedRedis, registry
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry)
    sub = service.submit(NS, PROJECT, DATASET, hashes(3), function=ECHO)
    burst = WorkerProcess(data_dir, own_redis.url, "--burst")
    try:
        assert burst.proc.wait(120) == 0, burst.log()
    finally:
        burst.stop()
    assert service.get(NS, PROJECT, sub.record.task_id).state == TaskState.SUCCESS


def test_a_worker_loads_the_model_before_it_registers(
    data_dir: Path, own_redis: EmbeddedRedis, registry, workers
) -> None:  # type: ignore[no-untyped-def]
    service = make_service(data_dir, own_redis, registry)
    workers.append(WorkerProcess(data_dir, own_redis.url, LF_WORKER_WARM_UP="1"))
    wait_until(lambda: service.alive_workers() >= 1, 120, what="a live worker")
    log = workers[0].log(None)
    assert "embedder warmed up" in log, log
    assert log.index("embedder warmed up") < log.index("LlamaFarm worker")  # then it takes jobs
