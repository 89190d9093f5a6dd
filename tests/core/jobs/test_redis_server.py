"""The embedded Redis: where its socket goes, persistence, leftovers from a dead serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from llamafarm_core.jobs.connection import MAX_SOCKET_PATH, connect, embedded_socket_path, ping
from llamafarm_core.jobs.processes import read_pid_file
from llamafarm_core.jobs.redis_server import EmbeddedRedis
from tests.jobs_fixtures import wait_until


def test_the_socket_lives_in_the_data_dir_unless_the_path_is_too_long(tmp_path: Path) -> None:
    short = tmp_path / "d"
    assert embedded_socket_path(short) == short / "run" / "redis.sock"
    deep = tmp_path / ("x" * 120)
    path = embedded_socket_path(deep)
    assert len(str(path)) <= MAX_SOCKET_PATH
    assert path == embedded_socket_path(deep)  # every process finds the same one
    assert path != embedded_socket_path(tmp_path / ("y" * 120))


def test_a_long_data_dir_still_gets_a_working_redis(tmp_path: Path) -> None:
    redis = EmbeddedRedis(tmp_path / ("deep" * 30))
    redis.start()
    try:
        ping(redis.url)
        assert not str(redis.socket).startswith(str(tmp_path))
    finally:
        redis.stop()


def test_data_persists_across_a_restart_and_the_pid_file_tracks_the_process(tmp_path: Path) -> None:
    redis = EmbeddedRedis(tmp_path)
    redis.start()
    record = read_pid_file(redis.pid_file)
    assert record is not None and record.pid == redis.pid and record.is_running()
    connect(redis.url).set("kept", "yes")
    redis.stop()
    assert not redis.pid_file.exists() and not record.is_running()

    redis.start()
    try:
        assert connect(redis.url).get("kept") == b"yes"
    finally:
        redis.stop()


def test_a_leftover_redis_is_stopped_by_the_next_start_and_its_data_kept(tmp_path: Path) -> None:
    old = EmbeddedRedis(tmp_path)
    old.start()  # then "forgotten", as by a serve that was kill -9'ed on a non-Linux system
    old_record = read_pid_file(old.pid_file)
    assert old_record is not None
    connect(old.url).set("queued", "job")

    new = EmbeddedRedis(tmp_path)
    new.start()
    try:
        assert not old_record.is_running()
        assert new.pid != old_record.pid
        assert connect(new.url).get("queued") == b"job"
    finally:
        new.stop()


def test_a_leftover_without_pid_file_is_shut_down_through_its_socket(tmp_path: Path) -> None:
    old = EmbeddedRedis(tmp_path)
    old.start()
    proc = old._proc
    assert proc is not None
    old.pid_file.unlink()
    new = EmbeddedRedis(tmp_path)
    new.start()
    try:
        proc.wait(10)  # it exited
        ping(new.url)
    finally:
        new.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_redis_does_not_outlive_the_process_that_started_it(tmp_path: Path) -> None:
    script = (
        "import sys, time; from pathlib import Path\n"
        "from llamafarm_core.jobs.redis_server import EmbeddedRedis\n"
        "EmbeddedRedis(Path(sys.argv[1])).start(); print('up', flush=True); time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == b"up"
        record = read_pid_file(tmp_path / "run" / "redis.pid")
        assert record is not None and record.is_running()
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        wait_until(lambda: not record.is_running(), 10, what="redis-server exiting with its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
