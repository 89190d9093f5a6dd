"""``work_until_stopped``: when a worker's loop ends, a new one starts unless a stop was asked.
(With a real Redis and a real worker process: tests/core/jobs/test_workers.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from rq.exceptions import StopRequested

from llamafarm_core.jobs import worker as worker_module
from llamafarm_core.jobs.worker import RESTART_PAUSES, work_until_stopped


class Loop:
    """What RQ's ``Worker.work`` did, one entry per loop: ``"error"`` (RQ logged and
    returned), ``"stop"`` (a signal: RQ marks the worker), ``"raise"`` (its start hit Redis),
    ``"ok"`` (burst: the queue was empty)."""

    def __init__(self, outcomes: list[str]) -> None:
        self.outcomes = outcomes
        self.workers: list[Any] = []

    def make_worker(self, connection: object, name: str | None = None) -> Any:
        loop = self

        class FakeWorker:
            _stop_requested = False
            _shutdown_requested_date = None

            def __init__(self) -> None:
                self.name = name or f"w{len(loop.workers)}"

            def work(self, burst: bool, logging_level: str) -> bool:
                outcome = loop.outcomes.pop(0)
                if outcome == "raise":
                    raise ConnectionError("Redis is away")
                if outcome == "stop":
                    self._shutdown_requested_date = "now"
                return outcome == "ok"

        worker = FakeWorker()
        self.workers.append(worker)
        return worker


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(worker_module, "_pause", lambda worker, seconds: slept.append(seconds) or True)
    return slept


def test_a_loop_that_ends_on_an_error_is_followed_by_a_new_one_until_a_stop(
    monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    loop = Loop(["error", "raise", "error", "stop"])
    monkeypatch.setattr(worker_module, "make_worker", loop.make_worker)
    work_until_stopped(object())
    assert len(loop.workers) == 4 and loop.outcomes == []
    assert pauses == list(RESTART_PAUSES[:3])  # quick failures wait longer each time


def test_the_pauses_stop_growing_at_the_last(monkeypatch: pytest.MonkeyPatch, pauses: list[float]) -> None:
    loop = Loop(["error"] * 7 + ["stop"])
    monkeypatch.setattr(worker_module, "make_worker", loop.make_worker)
    work_until_stopped(object())
    assert pauses == [*RESTART_PAUSES, RESTART_PAUSES[-1], RESTART_PAUSES[-1]]


def test_a_burst_worker_ends_with_its_queue(monkeypatch: pytest.MonkeyPatch, pauses: list[float]) -> None:
    loop = Loop(["ok", "ok"])
    monkeypatch.setattr(worker_module, "make_worker", loop.make_worker)
    work_until_stopped(object(), burst=True)
    assert len(loop.workers) == 1 and pauses == []


def test_a_worker_that_cannot_register_tries_again(
    monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    loop = Loop(["stop"])
    attempts: list[int] = []

    def flaky(connection: object, name: str | None = None) -> Any:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("Error 2 connecting to redis.sock")
        return loop.make_worker(connection, name)

    monkeypatch.setattr(worker_module, "make_worker", flaky)
    work_until_stopped(object(), name="named")
    assert len(attempts) == 3 and loop.workers[0].name == "named" and len(pauses) == 2


def test_a_stop_asked_during_the_pause_ends_it(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = Loop(["error", "error"])
    monkeypatch.setattr(worker_module, "make_worker", loop.make_worker)

    def signal_arrives(seconds: float) -> None:  # the ended worker's handler raises when idle
        raise StopRequested()

    monkeypatch.setattr(worker_module.time, "sleep", signal_arrives)
    work_until_stopped(object())
    assert len(loop.workers) == 1 and loop.outcomes == ["error"]
