"""The local model's lock serves waiting chat turns in arrival order, a turn that gives up
leaves the line without blocking the ones behind it, and a full line turns newcomers away."""

from __future__ import annotations

import threading
import time

import pytest
from llamafarm_providers.llamacpp import FairLock, LineFull


def _waiter(lock: FairLock, name: str, order: list[str], timeout: float = -1) -> threading.Thread:
    def run() -> None:
        if lock.acquire(timeout=timeout):
            order.append(name)
            time.sleep(0.01)
            lock.release()
        else:
            order.append(f"{name} gave up")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _queued(lock: FairLock, n: int) -> None:
    deadline = time.monotonic() + 5
    while len(lock._queue) < n:
        assert time.monotonic() < deadline, "the waiters never queued"
        time.sleep(0.001)


def test_waiters_get_the_lock_in_arrival_order() -> None:
    lock, order = FairLock(), []
    assert lock.acquire()
    threads = []
    for i in range(8):
        threads.append(_waiter(lock, f"t{i}", order))
        _queued(lock, i + 1)
    lock.release()
    for t in threads:
        t.join(5)
    assert order == [f"t{i}" for i in range(8)]


def test_a_waiter_that_times_out_leaves_the_line() -> None:
    lock, order = FairLock(), []
    assert lock.acquire()
    first = _waiter(lock, "patient", order)
    _queued(lock, 1)
    impatient = _waiter(lock, "impatient", order, timeout=0.05)
    _queued(lock, 2)
    last = _waiter(lock, "last", order)
    _queued(lock, 3)
    impatient.join(5)
    assert order == ["impatient gave up"] and len(lock._queue) == 2
    lock.release()
    for t in (first, last):
        t.join(5)
    assert order == ["impatient gave up", "patient", "last"]
    assert not lock.locked() and lock.acquire(blocking=False)  # free again, nobody waiting
    assert lock.locked() and not lock.acquire(blocking=False)
    lock.release()


def test_a_full_line_turns_a_newcomer_away_at_once() -> None:
    lock, order = FairLock(), []
    assert lock.acquire()
    waiters = [_waiter(lock, f"t{i}", order) for i in range(2)]
    _queued(lock, 2)
    started = time.monotonic()
    with pytest.raises(LineFull) as full:
        lock.acquire(timeout=5, max_waiting=2)
    assert full.value.waiting == 2 and time.monotonic() - started < 1
    assert len(lock._queue) == 2  # the newcomer never joined the line
    assert lock.acquire(blocking=False, max_waiting=0) is False  # held: not blocking wins
    lock.release()
    for t in waiters:
        t.join(5)
    assert order == ["t0", "t1"]
    assert lock.acquire(max_waiting=0)  # free and nobody waiting: a line of 0 is no obstacle
    lock.release()
