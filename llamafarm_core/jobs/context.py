"""What a job function runs with: the settings and plugin registry of the process running it.

A worker process uses its environment (``LF_DATA_DIR``…) and builds the registry once; the
inline runner (jobs run inside the server) sets the server's own settings and registry for
the thread it runs in.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from llamafarm_core import egress
from llamafarm_core.errors import ServiceUnavailable
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.settings import Settings

INSTANCE_FILE = "instance-id"


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    registry: Registry


_current: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar("llamafarm_job", default=None)


@contextlib.contextmanager
def using(ctx: JobContext) -> Iterator[None]:
    """Run jobs in this block with ``ctx``."""
    token = _current.set(ctx)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> JobContext:
    """The context set by :func:`using`, else one from this process's environment."""
    return _current.get() or _from_env()


@functools.cache
def _from_env() -> JobContext:
    from llamafarm_core.plugins import build_registry, get_plugin_manager

    settings = Settings.from_env()
    egress.configure(settings.allowed_egress)
    return JobContext(settings, build_registry(get_plugin_manager()))


def instance_id(data_dir: Path) -> str:
    """A random id stored in the data dir on first use.

    Jobs carry the submitting server's id; a worker whose ``LF_DATA_DIR`` holds another id
    is pointed at the wrong storage and refuses the job instead of processing nothing.
    """
    path = data_dir / INSTANCE_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-instance-", dir=data_dir)
    with os.fdopen(fd, "w") as fh:
        fh.write(uuid.uuid4().hex)
    try:  # link() never replaces: the first writer wins and readers never see a partial file
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


def check_instance(settings: Settings, expected: str) -> None:
    found = instance_id(settings.data_dir)
    if found != expected:
        raise ServiceUnavailable(
            f"this worker's data directory {settings.data_dir} is not the server's (instance id "
            f"{found} != {expected}); run workers with the same LF_DATA_DIR (shared storage) as "
            "the server"
        )
