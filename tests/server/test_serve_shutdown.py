"""`llamafarm serve` stops promptly and leaves no process behind: SIGTERM while a worker is
busy, and kill -9 while the worker is stuck in C code (issue 10, "Shutdown and orphans")."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from llamafarm_core.jobs.connection import embedded_url
from llamafarm_core.jobs.service import JobService
from llamafarm_core.settings import Settings
from tests.fault_jobs import STUCK
from tests.jobs_fixtures import SLOW, wait_until
from tests.server.test_tasks_serve import NS, PROJECT, children, serve, workers_alive

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "served"
    d.mkdir()
    return d


def _busy_serve(data_dir: Path, registry, job: str, marker: str):  # type: ignore[no-untyped-def]
    """A serve whose one worker is inside ``job``; returns (server, its children)."""
    server = serve(data_dir)
    wait_until(lambda: workers_alive(server, 1), 60, what="a worker alive")
    requests.post(f"{server.url}/v1/projects/{NS}", json={"name": PROJECT}).raise_for_status()
    service = JobService(Settings(data_dir=data_dir, redis_url=embedded_url(data_dir)), registry)
    service.submit(NS, PROJECT, "docs", [f"{1:064x}"], job)
    wait_until(lambda: any(data_dir.glob(f"{marker}-*")), 60, what="the job started")
    redis, workers = children(data_dir)
    procs = [psutil.Process(r.pid) for r in [redis, *workers]]
    return server, procs


def test_sigterm_stops_serve_and_a_busy_worker_within_seconds(data_dir: Path, registry) -> None:  # type: ignore[no-untyped-def]
    (data_dir / "sleep").write_text("600")
    server, procs = _busy_serve(data_dir, registry, SLOW, "started")
    try:
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(30)
        took = time.monotonic() - started
        _, alive = psutil.wait_procs(procs, timeout=5)
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert took < 5, f"serve took {took:.1f} s to stop"  # 1 s for requests + 1 s for the worker
    assert alive == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_after_kill_9_a_worker_stuck_in_c_code_does_not_outlive_serve(data_dir: Path, registry) -> None:  # type: ignore[no-untyped-def]
    server, procs = _busy_serve(data_dir, registry, STUCK, "stuck")
    try:
        worker = procs[1]
        time.sleep(0.5)
        assert worker.status() in (psutil.STATUS_RUNNING, psutil.STATUS_SLEEPING)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        _, alive = psutil.wait_procs(procs, timeout=5)
    finally:
        server.stop()
        for proc in procs:  # never leave a stuck worker behind, even when the test fails
            if proc.is_running():
                proc.kill()
    assert alive == [], f"still running 5 s after serve died: {[p.name() for p in alive]}"


def test_sigterm_during_a_long_non_streaming_chat_stops_serve_within_seconds(data_dir: Path) -> None:
    """A chat turn generating in a thread does not hold the process: Python would join that
    thread at exit for as long as the generation takes."""
    server = serve(data_dir)
    outcome: list[str] = []
    try:
        requests.post(
            f"{server.url}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}
        ).raise_for_status()

        in_flight = threading.Event()
        stopping = threading.Event()

        def chat() -> None:
            # Back-to-back turns: the base model may end a story early (EOS), and the test needs
            # a generation in progress when the signal lands.
            while not stopping.is_set():
                in_flight.set()
                try:
                    r = requests.post(
                        f"{server.url}/v1/projects/{NS}/{PROJECT}/chat/completions",
                        json={
                            "messages": [{"role": "user", "content": "Tell a long story."}],
                            "max_tokens": 4000,
                        },
                        headers={"X-No-Session": "1"},
                        timeout=300,
                    )
                    outcome.append(str(r.status_code))
                except requests.RequestException as err:
                    outcome.append(type(err).__name__)
                    return
                finally:
                    in_flight.clear()

        client = threading.Thread(target=chat, daemon=True)
        client.start()
        wait_until(lambda: "gguf" in server.log(), 60, what="the model loading")
        time.sleep(2.0)  # generating
        wait_until(in_flight.is_set, 10, what="a chat turn in flight")
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        stopping.set()
        server.proc.wait(30)
        took = time.monotonic() - started
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert took < 5, f"serve took {took:.1f} s to stop"
