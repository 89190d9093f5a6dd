"""The worker processes ``serve`` runs: start N, restart any that dies, stop them all.

Each worker is recorded in ``run/workers/{pid}.pid``; a ``serve`` that starts and finds
live ones there (its predecessor was ``kill -9``'ed) stops them first. Workers also watch
their parent and stop on their own when it's gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from llamafarm_core.jobs.processes import (
    PidRecord,
    record_for,
    stop_leftovers,
    write_pid_file,
)

log = logging.getLogger("llamafarm.jobs")

# A worker that dies sooner than this after starting counts as a crash loop: back off.
MIN_HEALTHY_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class _Slot:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    not_before: float = 0.0
    restarts: int = 0


class WorkerSupervisor:
    """Not thread-safe: call :meth:`start`, :meth:`check` and :meth:`stop` from one thread
    (on Linux, children get their parent-death signal when the *thread* that started them
    exits, so that thread should live as long as the server)."""

    def __init__(self, run_dir: Path, count: int, command: list[str], env: dict[str, str] | None = None):
        self.pid_dir = run_dir / "workers"
        self.count = count
        self.command = command
        self.env = env
        self.slots = [_Slot(i) for i in range(count)]

    def start(self) -> None:
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        stop_leftovers(self.pid_dir, grace=10)
        for slot in self.slots:
            self._spawn(slot)

    def _spawn(self, slot: _Slot) -> None:
        cmd = [*self.command, "--parent-pid", str(os.getpid()), "--name", f"serve-{os.getpid()}-{slot.index}"]
        # Own process group: a Ctrl-C reaches serve, which then stops workers in order.
        slot.proc = subprocess.Popen(cmd, env=self.env, stdin=subprocess.DEVNULL, start_new_session=True)
        slot.started = time.monotonic()
        write_pid_file(self.pid_dir / f"{slot.proc.pid}.pid", record_for(slot.proc.pid, "worker"))
        log.info("started worker %d (pid %s)", slot.index, slot.proc.pid)

    @property
    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.slots if s.proc is not None and s.proc.poll() is None]

    def check(self) -> list[int]:
        """Restart workers that died (with a backoff when they keep dying). Returns the
        exit codes of those found dead."""
        now = time.monotonic()
        dead = []
        for slot in self.slots:
            proc = slot.proc
            if proc is not None and proc.poll() is not None:
                dead.append(proc.returncode)
                (self.pid_dir / f"{proc.pid}.pid").unlink(missing_ok=True)
                quick = now - slot.started < MIN_HEALTHY_SECONDS
                slot.failures = slot.failures + 1 if quick else 0
                delay = min(MAX_BACKOFF_SECONDS, 2.0**slot.failures - 1) if quick else 0.0
                slot.not_before = now + delay
                slot.proc = None
                log.warning(
                    "worker %d (pid %s) exited with %s; restarting in %.0fs",
                    slot.index,
                    proc.pid,
                    proc.returncode,
                    delay,
                )
            if slot.proc is None and now >= slot.not_before:
                slot.restarts += 1
                self._spawn(slot)
        return dead

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM (each finishes its current job), then SIGKILL after ``grace`` seconds.
        A killed worker's job is re-queued by the next maintenance pass."""
        procs = [s.proc for s in self.slots if s.proc is not None]
        for slot in self.slots:
            slot.proc = None
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %s still busy after %.0fs; killing it", proc.pid, grace)
                proc.kill()
                proc.wait()
            (self.pid_dir / f"{proc.pid}.pid").unlink(missing_ok=True)

    def records(self) -> list[PidRecord]:
        return [record_for(pid, "worker") for pid in self.pids]
