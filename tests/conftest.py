"""Shared fixtures. Everything is real: a temp data dir, the installed plugin registry, the
aiohttp app (in-process) or a real ``llamafarm serve`` process over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from llamafarm_core.offline import enforce_offline

enforce_offline()

from llamafarm_core.plugins import build_registry, get_plugin_manager  # noqa: E402
from llamafarm_core.plugins.registry import Registry  # noqa: E402
from llamafarm_core.settings import Settings  # noqa: E402
from tests.jobs_fixtures import emptied, jobs_redis, own_redis  # noqa: E402,F401  (a real Redis for the jobs)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
COMPAT_CONFIGS = sorted((SHARED / "compat" / "llamafarm-configs").glob("*.yaml"))


@pytest.fixture(scope="session")
def registry() -> Registry:
    return build_registry(get_plugin_manager())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "lfdata"
    d.mkdir()
    return d


@pytest.fixture
def settings(data_dir: Path, jobs_redis) -> Settings:  # type: ignore[no-untyped-def]  # noqa: F811
    """Settings over a fresh data dir, using the session's real Redis (emptied per test);
    a transient failure is retried once, at once."""
    return Settings(data_dir=data_dir, redis_url=emptied(jobs_redis), job_retry_delays=(0,))


@pytest.fixture
async def client(aiohttp_client, settings: Settings, registry: Registry):  # type: ignore[no-untyped-def]
    """An in-process test client of the full app over a fresh data dir."""
    from llamafarm_server.app import create_app

    return await aiohttp_client(create_app(settings, registry))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class ServerProcess:
    """A real ``llamafarm serve`` child process on a free port."""

    def __init__(self, data_dir: Path, extra_args: list[str] | None = None, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"serve-{self.port}.log"
        full_env = {**os.environ, "LF_DATA_DIR": str(data_dir), **(env or {})}
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llamafarm_server.cli", "serve", "--port", str(self.port), *(extra_args or [])],
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> ServerProcess:
        try:
            wait_http(self.url + "/health/liveness", timeout, self.proc)
        except Exception:
            raise RuntimeError(f"server did not start:\n{self.log()}") from None
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """A started server on its own data dir; stopped after the test."""
    data_dir = tmp_path / "served"
    data_dir.mkdir()
    server = ServerProcess(data_dir).wait_ready()
    yield server
    server.stop()
