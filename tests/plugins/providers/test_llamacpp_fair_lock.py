"""The local model's lock serves waiting chat turns in arrival order, and a turn that gives
up leaves the line without blocking the ones behind it."""

from __future__ import annotations

import threading
import time

from llamafarm_providers.llamacpp import FairLock


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
