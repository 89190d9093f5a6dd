"""``llamafarm serve``: the HTTP server, plus (by default) its own Redis and workers.

With no ``LF_REDIS_URL``, serve takes the data dir's lock (one serve per data dir), starts a
private Redis on a unix socket in the data dir and ``--workers`` worker processes (default
1), restarts a worker that dies, and stops them all on exit. With ``LF_REDIS_URL`` it uses
that Redis and starts ``--workers`` local workers (default 0: run ``llamafarm worker``
wherever you like).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web
    from redis import Redis

    from llamafarm_core.jobs.redis_server import EmbeddedRedis
    from llamafarm_core.jobs.supervisor import WorkerSupervisor
    from llamafarm_core.settings import Settings

log = logging.getLogger("llamafarm.serve")
SUPERVISE_EVERY = 2.0
# On SIGTERM serve is gone within ~3 s: open requests get SHUTDOWN_SECONDS to finish (an
# interrupted upload or PUT leaves nothing half-written), a busy worker WORKER_GRACE_SECONDS
# to finish its job before it is killed (the job is re-queued: its heartbeat stops).
SHUTDOWN_SECONDS = 1.0
WORKER_GRACE_SECONDS = 1.0
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level() -> str | None:
    """``LF_LOG_LEVEL`` (default INFO), or None when it names no level."""
    level = os.environ.get("LF_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    return level if level in LEVELS else None


def access_logger_class() -> type:
    """One INFO line per request: method, path (no query string: it may hold a secret), status,
    ms. (A function so that other commands don't import aiohttp.)"""
    from aiohttp.abc import AbstractAccessLogger

    class AccessLogger(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            self.logger.info("%s %s %s %.1fms", request.method, request.path, response.status, time * 1000)

    return AccessLogger


def _port(value: str) -> int:
    """A TCP port for --port (argparse converts the ``LF_PORT`` default through it too)."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port 0-65535 (from --port or LF_PORT)")
    return port


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the server")
    p.add_argument("--host", default=os.environ.get("LF_HOST", "127.0.0.1"))
    p.add_argument("--port", type=_port, default=os.environ.get("LF_PORT", "8000"))
    p.add_argument("--data-dir", default=None, help="data directory (default: $LF_DATA_DIR or ~/.llamafarm)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes to run (default: 1 with the embedded Redis, 0 with LF_REDIS_URL)",
    )
    p.set_defaults(func=run)


def worker_command() -> list[str]:
    return [sys.executable, "-m", "llamafarm_server.cli", "worker"]


def supervision(
    redis: EmbeddedRedis | None, supervisor: WorkerSupervisor, redis_url: str
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: workers start with the app and stop before Redis."""
    from llamafarm_core.jobs.connection import connect

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        supervisor.start()
        client = connect(redis_url)
        task = asyncio.create_task(_supervise(redis, supervisor, client))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.to_thread(supervisor.stop, WORKER_GRACE_SECONDS)
        client.close()

    return ctx


async def _supervise(redis: EmbeddedRedis | None, supervisor: WorkerSupervisor, client: Redis) -> None:
    """Every few seconds: restart a dead Redis or worker (in this thread: on Linux a child
    gets its parent-death signal when the thread that started it ends), then run queue
    maintenance (re-queue jobs of dead workers, promote due retries)."""
    from llamafarm_core.jobs.worker import run_maintenance

    while True:
        await asyncio.sleep(SUPERVISE_EVERY)
        try:
            if redis is not None and not redis.is_running():
                log.warning("the embedded Redis stopped; restarting it (its jobs are on disk)")
                redis.start()
            supervisor.check()
            await asyncio.to_thread(run_maintenance, client)
        except Exception as err:
            log.warning("supervision: %s", err)


def _exit_now() -> None:
    """End the process once the server, workers and Redis are stopped, without waiting for
    threads still running long work (a non-streaming chat turn being generated, a wait for
    synchronous processing): Python would join them at exit, for as long as they take.
    Their clients were disconnected already; writes are atomic (at worst a temp file, swept
    at the next start)."""
    from llamafarm_core.ingest.isolation import shutdown

    shutdown()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _sweep(settings: Settings, own_data_dir: bool) -> None:
    """Remove what writes interrupted by a crash (kill -9 mid-upload, mid-PUT) left behind.
    With the data dir's lock (embedded Redis) nothing else writes there once the previous
    serve's workers are stopped, so all of it goes; otherwise only what is an hour old."""
    from llamafarm_core.fsutil import sweep_temp_files
    from llamafarm_core.jobs.processes import stop_leftovers

    if own_data_dir:
        stop_leftovers(settings.run_dir / "workers", grace=5)
    removed = sweep_temp_files(settings.projects_dir, older_than=0 if own_data_dir else 3600)
    if removed:
        log.warning("removed %d temporary file(s) left by interrupted writes", removed)


def limit_own_encode_threads() -> None:
    """One torch thread for this process's encodes, unless ``LF_ENCODE_THREADS`` is set.

    The server encodes single queries, one at a time, while a worker on the same machine
    may be ingesting on every core. Two OpenMP teams of two threads on two cores wait on
    each other's barriers: measured, a hybrid ``rag/query`` took ~500 ms while a worker
    ingested, and 13-20 ms with one server thread (~0.5 ms slower when idle). Workers are
    started with the environment from before this call, so they keep every core."""
    os.environ.setdefault("LF_ENCODE_THREADS", "1")


def run(args: argparse.Namespace) -> int:
    from llamafarm_core.malloc_tuning import fix_malloc_thresholds

    fix_malloc_thresholds()  # before any thread (llamafarm_core/malloc_tuning.py)
    from aiohttp import web

    from llamafarm_core.errors import ServiceUnavailable
    from llamafarm_core.jobs.processes import DataDirBusy, DataDirLock
    from llamafarm_core.jobs.redis_server import EmbeddedRedis
    from llamafarm_core.jobs.supervisor import WorkerSupervisor
    from llamafarm_core.offline import enforce_offline
    from llamafarm_core.settings import Settings, SettingsError
    from llamafarm_server.app import create_app
    from llamafarm_server.routes.tasks import LOCAL_WORKERS

    enforce_offline()
    if args.data_dir:
        os.environ["LF_DATA_DIR"] = args.data_dir
    level = log_level()
    if level is None:
        print(
            f"error: LF_LOG_LEVEL={os.environ['LF_LOG_LEVEL']!r} is not a level ({', '.join(LEVELS)})",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from llamafarm_core.secrets import install_log_redaction

    install_log_redaction()
    try:
        settings = Settings.from_env()
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.host not in ("", "0.0.0.0", "::"):  # the name it listens on is a name it serves
        settings = dataclasses.replace(settings, allowed_hosts=(*settings.allowed_hosts, args.host))
    embedded = settings.redis_url is None
    workers = args.workers if args.workers is not None else (1 if embedded else 0)
    if workers < 0:
        print("error: --workers must be 0 or more", file=sys.stderr)
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    lock = DataDirLock(settings.run_dir)
    redis: EmbeddedRedis | None = None
    served = False
    try:
        if embedded:
            lock.acquire()
            redis = EmbeddedRedis(settings.data_dir)
            redis.start()
            settings = dataclasses.replace(settings, redis_url=redis.url)
        _sweep(settings, embedded)
        assert settings.redis_url is not None
        env = {**os.environ, "LF_DATA_DIR": str(settings.data_dir), "LF_REDIS_URL": settings.redis_url}
        limit_own_encode_threads()  # after env: workers keep every core
        supervisor = WorkerSupervisor(settings.run_dir, workers, worker_command(), env)
        app = create_app(settings)
        app[LOCAL_WORKERS] = workers
        app.cleanup_ctx.append(supervision(redis, supervisor, settings.redis_url))
        where = "embedded Redis" if embedded else "Redis at LF_REDIS_URL"
        print(
            f"LlamaFarm serving on http://{args.host}:{args.port} (data: {settings.data_dir}; "
            f"{where}; {workers} worker(s))",
            flush=True,
        )
        web.run_app(
            app,
            host=args.host,
            port=args.port,
            print=None,
            access_log=logging.getLogger("llamafarm.access"),
            access_log_class=access_logger_class(),
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
        served = True
        return 0
    except DataDirBusy as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except ServiceUnavailable as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    finally:
        if redis is not None:
            redis.stop()
        lock.release()
        if served:
            _exit_now()
