"""Pid files, stopping leftover processes, the one-serve-per-data-dir lock, and children
that don't outlive their parent.

A pid file records the pid *and* the process's start time, so a recycled pid never makes us
signal a stranger.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from llamafarm_core.fsutil import atomic_write_json, read_json
from llamafarm_core.parent_death import set_parent_death_signal

log = logging.getLogger("llamafarm.jobs")


@dataclass(frozen=True)
class PidRecord:
    pid: int
    started: float  # psutil create_time of the process
    role: str

    def is_running(self) -> bool:
        """The recorded process is still alive (same pid *and* same start time)."""
        import psutil

        try:
            proc = psutil.Process(self.pid)
            return abs(proc.create_time() - self.started) < 0.01 and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False


def record_for(pid: int, role: str) -> PidRecord:
    import psutil

    return PidRecord(pid, psutil.Process(pid).create_time(), role)


def write_pid_file(path: Path, record: PidRecord) -> None:
    atomic_write_json(path, {"pid": record.pid, "started": record.started, "role": record.role})


def read_pid_file(path: Path) -> PidRecord | None:
    try:
        data = read_json(path)
        return PidRecord(int(data["pid"]), float(data["started"]), str(data.get("role", "")))
    except (TypeError, KeyError, ValueError, json.JSONDecodeError):
        return None


def terminate(record: PidRecord, grace: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after ``grace`` seconds. True if the process was running."""
    if not record.is_running():
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and record.is_running():
        time.sleep(0.05)
    if record.is_running():
        log.warning("%s (pid %s) ignored SIGTERM for %.0fs; killing it", record.role, record.pid, grace)
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
        while record.is_running():
            time.sleep(0.05)
    return True


def stop_leftovers(directory: Path, grace: float = 10.0) -> list[PidRecord]:
    """Stop every still-running process recorded in ``directory/*.pid`` and remove the files.

    These are children of a ``serve`` that died without cleaning up (``kill -9``).
    """
    stopped = []
    for path in sorted(directory.glob("*.pid")) if directory.is_dir() else []:
        record = read_pid_file(path)
        if record is not None and terminate(record, grace):
            log.warning("stopped leftover %s (pid %s) from an earlier serve", record.role, record.pid)
            stopped.append(record)
        path.unlink(missing_ok=True)
    return stopped


class DataDirBusy(RuntimeError):
    """Another ``llamafarm serve`` holds the data dir."""


class DataDirLock:
    """An exclusive ``fcntl`` lock on ``run/serve.lock``, held for the server's life.

    The kernel drops it when the process dies, however it dies, so a ``kill -9`` never
    leaves the data dir locked.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "serve.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirBusy(
                f"another `llamafarm serve` (pid {holder}) is already using the data directory "
                f"{self.path.parent.parent}; stop it first, or give this one its own "
                "--data-dir / LF_DATA_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def watch_parent(parent_pid: int, on_gone: signal.Signals = signal.SIGTERM, interval: float = 1.0) -> None:
    """Send ``on_gone`` to this process once ``parent_pid`` is no longer our parent.

    The portable half of "children don't outlive ``serve``" (Linux also gets the parent-death
    signal). A SIGTERM makes an RQ worker finish its current job and stop.
    """
    set_parent_death_signal(on_gone)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        log.warning("parent process %s is gone; stopping", parent_pid)
        os.kill(os.getpid(), on_gone)

    if os.getppid() != parent_pid:
        os.kill(os.getpid(), on_gone)
        return
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
