"""``llamafarm worker``: run a processing worker (any number, on any machine).

A worker needs the Redis the server uses (``--redis-url`` / ``LF_REDIS_URL``, or the embedded
Redis of a ``llamafarm serve`` running on this data dir), the server's data directory
(``LF_DATA_DIR``, shared storage when on another machine) and the vector stores the projects
name. See docs/deployment.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run a processing worker")
    p.add_argument(
        "--redis-url",
        default=None,
        help="Redis URL (default: $LF_REDIS_URL, else the embedded Redis of `llamafarm serve` on this data dir)",
    )
    p.add_argument("--data-dir", default=None, help="data directory (default: $LF_DATA_DIR or ~/.llamafarm)")
    p.add_argument("--burst", action="store_true", help="process what is queued, then exit")
    p.add_argument("--name", default=None, help="worker name (default: random)")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from llamafarm_core import egress
    from llamafarm_core.errors import ServiceUnavailable
    from llamafarm_core.jobs.connection import connect, describe_url, embedded_url, ping
    from llamafarm_core.jobs.processes import watch_parent
    from llamafarm_core.jobs.worker import work_until_stopped
    from llamafarm_core.malloc_tuning import limit_malloc_arenas
    from llamafarm_core.offline import enforce_offline
    from llamafarm_core.settings import Settings, SettingsError

    limit_malloc_arenas()  # before any thread: encode lanes would each keep an arena
    enforce_offline()
    if args.data_dir:
        os.environ["LF_DATA_DIR"] = args.data_dir
    from llamafarm_server.cli.serve import log_level

    logging.basicConfig(level=log_level() or "INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from llamafarm_core.secrets import install_log_redaction

    install_log_redaction()
    try:
        settings = Settings.from_env()
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    egress.configure(settings.allowed_egress)
    if settings.worker_nice:
        os.nice(settings.worker_nice)  # the web process first (Settings.worker_nice)
    url = args.redis_url or settings.redis_url or embedded_url(settings.data_dir)
    if args.parent_pid:
        # SIGKILL, not SIGTERM: RQ answers SIGTERM by finishing the current job, which may be
        # stuck for a long time; the job is re-queued when its heartbeat expires.
        watch_parent(args.parent_pid, signal.SIGKILL)
    try:
        ping(url, timeout=5)
    except ServiceUnavailable as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    if settings.worker_warm_up:  # before registering: no job waits on a half-started worker
        from llamafarm_core.ingest.isolation import FileBudget
        from llamafarm_core.jobs.context import current
        from llamafarm_core.jobs.warm_up import warm_up

        ctx = current()  # the registry the jobs use (plugins found once), and their budget
        warm_up(ctx.registry, FileBudget.from_settings(ctx.settings))
    print(f"LlamaFarm worker on {describe_url(url)} (data: {settings.data_dir})", flush=True)
    work_until_stopped(connect(url, socket_timeout=None), name=args.name, burst=args.burst)
    return 0
