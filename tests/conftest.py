"""Shared fixtures. Everything is real: a temp data dir, the installed plugin registry, the
aiohttp app (in-process) or a real ``llamafarm serve`` process over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamafarm_core.offline import enforce_offline

enforce_offline()

from llamafarm_core.plugins import build_registry, get_plugin_manager  # noqa: E402
from llamafarm_core.plugins.registry import Registry  # noqa: E402
from llamafarm_core.settings import Settings  # noqa: E402
from tests.jobs_fixtures import emptied, jobs_redis, own_redis  # noqa: E402,F401  (a real Redis for the jobs)
from tests.servers import ChildServer, free_port  # noqa: E402,F401  (free_port is used by tests)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
COMPAT_CONFIGS = sorted((FIXTURES / "compat").glob("*.yaml"))


@pytest.fixture(scope="session")
def registry() -> Registry:
    return build_registry(get_plugin_manager())


@pytest.fixture(autouse=True)
def nothing_remembered_of_filters() -> None:
    """Each test starts without the filter sets and vectors an earlier one had remembered
    (per process, by index path: the retrieval corpus is shared by many tests)."""
    from llamafarm_core.lexical.filter_sets import filter_sets
    from llamafarm_core.retrieval.exact import kept_vectors

    filter_sets().forget()
    kept_vectors().forget()


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


class ServerProcess(ChildServer):
    """A real ``llamafarm serve`` child process on a free port, with its own data dir."""

    def __init__(
        self, data_dir: Path, extra_args: list[str] | None = None, env: dict[str, str] | None = None
    ):
        self.data_dir = data_dir
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "llamafarm_server.cli",
            "serve",
            "--port",
            str(port),
            *(extra_args or []),
        ]
        super().__init__(
            "serve",
            argv,
            port,
            "/health/liveness",
            data_dir.parent,
            {"LF_DATA_DIR": str(data_dir), **(env or {})},
        )

    def wait_ready(self, timeout: float = 90.0) -> ServerProcess:
        try:
            super().wait_ready(timeout)
        except (RuntimeError, TimeoutError) as err:
            raise RuntimeError(f"server did not start: {err}") from None
        return self


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """A started server on its own data dir; stopped after the test."""
    data_dir = tmp_path / "served"
    data_dir.mkdir()
    server = ServerProcess(data_dir).wait_ready()
    yield server
    server.stop()
