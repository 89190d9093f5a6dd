"""Pid files that never hit a stranger, the one-serve-per-data-dir lock, and the worker
supervisor (restart a dead worker, stop them all, clean up after a predecessor)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llamafarm_core.jobs.connection import connect
from llamafarm_core.jobs.processes import (
    DataDirBusy,
    DataDirLock,
    PidRecord,
    record_for,
    stop_leftovers,
    write_pid_file,
)
from llamafarm_core.jobs.queues import alive_workers
from llamafarm_core.jobs.redis_server import EmbeddedRedis
from llamafarm_core.jobs.supervisor import WorkerSupervisor
from tests.jobs_fixtures import wait_until, worker_env


def test_stop_leftovers_stops_recorded_processes_and_spares_recycled_pids(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    write_pid_file(tmp_path / f"{sleeper.pid}.pid", record_for(sleeper.pid, "worker"))
    # our own pid, but recorded with another start time: a recycled pid must be left alone
    write_pid_file(tmp_path / "stranger.pid", PidRecord(os.getpid(), 12345.0, "worker"))

    stopped = stop_leftovers(tmp_path, grace=5)

    assert [r.pid for r in stopped] == [sleeper.pid]
    assert sleeper.wait(5) is not None
    assert list(tmp_path.glob("*.pid")) == []


def test_a_second_holder_of_the_data_dir_is_refused_by_name(tmp_path: Path) -> None:
    first, second = DataDirLock(tmp_path), DataDirLock(tmp_path)
    first.acquire()
    with pytest.raises(DataDirBusy, match=rf"another `llamafarm serve` \(pid {os.getpid()}\)"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


@pytest.mark.slow
def test_the_supervisor_restarts_a_dead_worker_and_stops_all(
    tmp_path: Path, own_redis: EmbeddedRedis
) -> None:
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "llamafarm_server.cli", "worker", "--redis-url", own_redis.url]
    supervisor = WorkerSupervisor(data_dir / "run", 2, command, worker_env(data_dir))
    client = connect(own_redis.url)
    supervisor.start()
    try:
        wait_until(lambda: alive_workers(client) == 2, 60, what="two workers")
        first = supervisor.pids
        os.kill(first[0], 9)
        assert wait_until(supervisor.check, 10, what="the death being noticed") == [-9]
        wait_until(lambda: supervisor.check() == [] and len(supervisor.pids) == 2, 10, what="a replacement")
        assert first[0] not in supervisor.pids and first[1] in supervisor.pids
        assert sorted(int(p.stem) for p in (data_dir / "run" / "workers").glob("*.pid")) == sorted(
            supervisor.pids
        )
    finally:
        pids = supervisor.pids
        supervisor.stop()
    assert supervisor.pids == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert list((data_dir / "run" / "workers").glob("*.pid")) == []


@pytest.mark.slow
def test_a_new_supervisor_stops_the_workers_of_a_dead_predecessor(
    tmp_path: Path, own_redis: EmbeddedRedis
) -> None:
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "llamafarm_server.cli", "worker", "--redis-url", own_redis.url]
    old = WorkerSupervisor(data_dir / "run", 1, command, worker_env(data_dir))
    old.start()  # never stopped, as if serve had been kill -9'ed
    orphan = old.slots[0].proc
    assert orphan is not None
    time.sleep(1)
    new = WorkerSupervisor(data_dir / "run", 1, command, worker_env(data_dir))
    new.start()
    try:
        assert orphan.wait(15) is not None
        assert new.pids and new.pids[0] != orphan.pid
    finally:
        new.stop()
