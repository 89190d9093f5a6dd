"""A real `llamafarm serve`: its embedded Redis and workers, their lifecycle, and the data
dir being one server's alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import requests

from llamafarm_core.jobs.connection import connect, embedded_socket_path, embedded_url
from llamafarm_core.jobs.processes import PidRecord, read_pid_file
from llamafarm_core.jobs.redis_server import EmbeddedRedis
from llamafarm_core.jobs.service import JobService
from llamafarm_core.settings import Settings
from tests.conftest import ServerProcess
from tests.jobs_fixtures import ECHO, REPO, wait_until

pytestmark = pytest.mark.slow
NS, PROJECT = "acme", "bot"


def serve(data_dir: Path, *args: str) -> ServerProcess:
    return ServerProcess(data_dir, list(args), env={"PYTHONPATH": str(REPO)}).wait_ready()


def children(data_dir: Path) -> tuple[PidRecord, list[PidRecord]]:
    redis = read_pid_file(data_dir / "run" / "redis.pid")
    assert redis is not None
    workers = [r for p in sorted((data_dir / "run" / "workers").glob("*.pid")) if (r := read_pid_file(p))]
    return redis, workers


def workers_alive(server: ServerProcess, n: int) -> bool:
    health = requests.get(f"{server.url}/health", timeout=10).json()
    return health["services"]["workers"] == "healthy" and health["details"]["workers"] == f"{n} alive"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "served"
    d.mkdir()
    return d


def test_serve_runs_redis_and_workers_that_process_tasks_and_stops_them_all(data_dir: Path, registry) -> None:  # type: ignore[no-untyped-def]
    server = serve(data_dir, "--workers", "2")
    try:
        wait_until(lambda: workers_alive(server, 2), 60, what="two workers alive")
        health = requests.get(f"{server.url}/health").json()
        assert health["services"]["redis"] == "healthy"
        assert health["details"]["redis"] == embedded_url(data_dir)
        redis, workers = children(data_dir)
        assert redis.is_running() and len(workers) == 2 and all(w.is_running() for w in workers)
        # workers yield the CPU to the web process (LF_WORKER_NICE, default 10); serve does not
        ours = psutil.Process().nice()
        assert psutil.Process(server.proc.pid).nice() == ours
        assert all(psutil.Process(w.pid).nice() == min(19, ours + 10) for w in workers)

        requests.post(f"{server.url}/v1/projects/{NS}", json={"name": PROJECT}).raise_for_status()
        service = JobService(Settings(data_dir=data_dir, redis_url=embedded_url(data_dir)), registry)
        files = [f"{i:064x}" for i in range(20)]
        sub = service.submit(NS, PROJECT, "docs", files, ECHO)
        url = f"{server.url}/v1/projects/{NS}/{PROJECT}/tasks/{sub.record.task_id}"
        done = wait_until(
            lambda: (t := requests.get(url).json())["state"] == "SUCCESS" and t, 60, what="SUCCESS"
        )
        assert done["result"]["processed_files"] == 20
        assert {d["worker"] for d in done["result"]["details"]} <= {w.pid for w in workers}

        # a worker that dies is replaced
        os.kill(workers[0].pid, signal.SIGKILL)

        def replaced() -> bool:
            now = children(data_dir)[1]
            return workers[0].pid not in {w.pid for w in now} and sum(w.is_running() for w in now) == 2

        wait_until(replaced, 30, what="a replacement worker")
        wait_until(lambda: workers_alive(server, 2), 60, what="two workers alive again")
        redis, workers = children(data_dir)
    finally:
        server.stop()  # SIGTERM
    assert server.proc.returncode == 0
    assert not redis.is_running() and not any(w.is_running() for w in workers)
    assert not (data_dir / "run" / "redis.pid").exists()
    assert list((data_dir / "run" / "workers").glob("*.pid")) == []
    assert not embedded_socket_path(data_dir).exists()


def test_a_second_serve_on_the_same_data_dir_refuses(data_dir: Path) -> None:
    server = serve(data_dir)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "llamafarm_server.cli", "serve", "--port", "1"],
            env={**os.environ, "LF_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1
        assert f"another `llamafarm serve` (pid {server.proc.pid}) is already using" in second.stderr
        assert requests.get(f"{server.url}/health/liveness").status_code == 200  # untouched
        assert children(data_dir)[0].is_running()
    finally:
        server.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_after_kill_9_the_children_exit_and_the_next_serve_starts(data_dir: Path) -> None:
    server = serve(data_dir)
    wait_until(lambda: workers_alive(server, 1), 60, what="a worker alive")
    redis, workers = children(data_dir)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    server.stop()
    wait_until(lambda: not redis.is_running(), 15, what="redis-server exiting")
    wait_until(lambda: not any(w.is_running() for w in workers), 30, what="workers exiting")

    again = serve(data_dir)
    try:
        wait_until(lambda: workers_alive(again, 1), 60, what="a worker alive")
    finally:
        again.stop()


def test_serve_stops_a_leftover_redis_recorded_in_the_data_dir_and_keeps_its_data(data_dir: Path) -> None:
    leftover = EmbeddedRedis(data_dir)
    leftover.start()  # as if left by a serve that died where no parent-death signal exists
    connect(leftover.url).set("queued", "job")
    old = read_pid_file(leftover.pid_file)
    assert old is not None

    server = serve(data_dir)
    try:
        assert not old.is_running()
        new, _ = children(data_dir)
        assert new.pid != old.pid and new.is_running()
        assert connect(embedded_url(data_dir)).get("queued") == b"job"
    finally:
        server.stop()


def test_a_worker_with_no_redis_to_find_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LF_REDIS_URL"} | {"LF_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "llamafarm_server.cli", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"Redis at {embedded_url(tmp_path)} is unreachable" in result.stderr
    assert "start it with `llamafarm serve`" in result.stderr


def test_serve_restarts_its_redis_after_a_crash_and_queued_jobs_complete(data_dir: Path, registry) -> None:  # type: ignore[no-untyped-def]
    server = serve(data_dir, "--workers", "0")
    worker = None
    try:
        requests.post(f"{server.url}/v1/projects/{NS}", json={"name": PROJECT}).raise_for_status()
        service = JobService(Settings(data_dir=data_dir, redis_url=embedded_url(data_dir)), registry)
        sub = service.submit(NS, PROJECT, "docs", [f"{i:064x}" for i in range(6)], ECHO)
        crashed, _ = children(data_dir)
        os.kill(crashed.pid, signal.SIGKILL)
        pid_file = data_dir / "run" / "redis.pid"
        wait_until(
            lambda: (r := read_pid_file(pid_file)) is not None and r.pid != crashed.pid,
            30,
            what="a new redis-server",
        )
        wait_until(
            lambda: requests.get(f"{server.url}/health").json()["services"]["redis"] == "healthy",
            30,
            what="redis healthy again",
        )
        url = f"{server.url}/v1/projects/{NS}/{PROJECT}/tasks/{sub.record.task_id}"
        assert requests.get(url).json()["state"] == "PENDING"  # the queued jobs survived

        # a worker started on the same data dir finds the embedded Redis by itself
        worker = subprocess.Popen(
            [sys.executable, "-m", "llamafarm_server.cli", "worker", "--burst"],
            env={k: v for k, v in os.environ.items() if k != "LF_REDIS_URL"}
            | {"LF_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        assert worker.wait(120) == 0
        done = requests.get(url).json()
        assert done["state"] == "SUCCESS" and done["result"]["processed_files"] == 6
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        server.stop()
