"""Which Redis the jobs use, and connecting to it with errors a user can act on."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from llamafarm_core.errors import ServiceUnavailable
from llamafarm_core.settings import Settings

if TYPE_CHECKING:
    from redis import Redis

# sun_path is 108 bytes on Linux (104 on macOS) including the NUL; stay well below.
MAX_SOCKET_PATH = 100
SOCKET_NAME = "redis.sock"


def embedded_socket_path(data_dir: Path) -> Path:
    """The unix socket of the Redis that ``serve`` starts for ``data_dir``.

    ``$LF_DATA_DIR/run/redis.sock``, unless that path is too long for a unix socket; then a
    short directory under the temp dir, named by a hash of the data dir, so every process
    that knows the data dir finds the same socket.
    """
    path = data_dir / "run" / SOCKET_NAME
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"llamafarm-{digest}" / SOCKET_NAME


def embedded_url(data_dir: Path) -> str:
    return f"unix://{embedded_socket_path(data_dir)}"


def redis_url(settings: Settings) -> str:
    """``LF_REDIS_URL`` when set, else the embedded Redis of this data dir."""
    return settings.redis_url or embedded_url(settings.data_dir)


def describe_url(url: str) -> str:
    """The URL without a password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def connect(url: str, *, socket_timeout: float | None = 10.0) -> Redis:
    """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``). Connects lazily."""
    from redis import Redis

    return Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=socket_timeout, health_check_interval=30
    )


def unavailable(url: str, err: BaseException) -> ServiceUnavailable:
    """The 503 for "Redis didn't answer", naming where we looked and what to check."""
    hint = (
        "start it with `llamafarm serve`"
        if url.startswith("unix://")
        else "check LF_REDIS_URL and that the Redis server is running"
    )
    return ServiceUnavailable(f"Redis at {describe_url(url)} is unreachable ({err}); {hint}")


@contextmanager
def redis_errors(url: str) -> Iterator[None]:
    """Turn connection failures into :class:`ServiceUnavailable` (503 with the reason)."""
    from redis.exceptions import ConnectionError, TimeoutError

    try:
        yield
    except (ConnectionError, TimeoutError) as err:
        raise unavailable(url, err) from None


def ping(url: str, timeout: float = 2.0) -> None:
    """Raise :class:`ServiceUnavailable` unless Redis at ``url`` answers PING."""
    client = connect(url, socket_timeout=timeout)
    try:
        with redis_errors(url):
            client.ping()
    finally:
        client.close()
