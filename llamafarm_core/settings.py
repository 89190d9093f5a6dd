"""Process-wide settings, read from the environment once and passed down explicitly."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_UPLOAD_LIMIT = 100 * 1024 * 1024
MiB = 1024 * 1024


class SettingsError(ValueError):
    """An ``LF_*`` variable holds a value that is not allowed; the message names it."""


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    """A whole number from the environment; unset or blank is the default, anything else
    that is not a number >= ``minimum`` is a :class:`SettingsError` naming the variable."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise SettingsError(f"{name}={raw!r}: expected a whole number >= {minimum}")
    return int(raw)


def _env_switch(name: str, default: bool) -> bool:
    """On or off: 1/true/yes/on or 0/false/no/off (any case); unset or blank is the default."""
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: expected 1 or 0 (true/false, yes/no, on/off)")


def _env_nice(name: str, default: int) -> int:
    value = _env_int(name, default)
    if value > 19:
        raise SettingsError(f"{name}={value}: expected a niceness from 0 to 19")
    return value


def _env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of non-negative integers ("2,10,30"); the default when unset."""
    raw = os.environ.get(name) or ""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        return default
    if not all(p.isdigit() for p in parts):
        raise SettingsError(f"{name}={raw!r}: expected comma-separated whole numbers, e.g. 2,10,30")
    return tuple(int(p) for p in parts)


def _env_list(name: str) -> tuple[str, ...]:
    """A comma-separated list of words (hosts, origins); empty when unset."""
    return tuple(p.strip() for p in (os.environ.get(name) or "").split(",") if p.strip())


def _env_origins(name: str) -> tuple[str, ...]:
    origins = tuple(o.rstrip("/") for o in _env_list(name))
    for origin in origins:
        if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
            raise SettingsError(f"{name}: {origin!r} is not an origin like http://localhost:3000 (or *)")
    return origins


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Settings:
    """Where data lives and which services to use.

    ``redis_url`` None means "embedded": ``llamafarm serve`` starts a private Redis in the
    data dir. Everything else in the product receives a Settings, never reads os.environ.
    """

    data_dir: Path
    redis_url: str | None = None
    max_upload_bytes: int = DEFAULT_UPLOAD_LIMIT
    session_ttl_seconds: int = 30 * 60
    # Processing jobs: files per job (the pipeline embeds across the files of one job), the
    # time limit of one job, and the delays between retries of a transient failure.
    job_batch_files: int = 512
    job_timeout_seconds: int = 3600
    job_retry_delays: tuple[int, ...] = (2, 10, 30)
    # Parsing and extracting one file runs in a child process that is killed past these
    # limits (the file fails alone with the reason); 0 turns a limit off.
    file_seconds: int = 60
    file_memory_mib: int = 2048
    # Browser-facing defences and egress (docs/security.md). Hosts are added to the loopback
    # names; "*" allows any. ``api_key`` None: no key is required.
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    api_key: str | None = field(default=None, repr=False)
    allowed_egress: tuple[str, ...] = ()
    # Request limits: 413 (too large) or 422 (too many / too deep), each with its reason.
    max_json_bytes: int = 16 * MiB
    max_json_depth: int = 64
    max_bulk_files: int = 1000
    max_bulk_bytes: int = 1024 * MiB
    max_chat_messages: int = 1000
    max_stop_sequences: int = 16
    max_chat_chars: int = 4 * MiB
    max_config_bytes: int = 1 * MiB
    # Threads for short blocking calls (reads, small writes) and, separately, for long work
    # (synchronous processing, non-streaming chat), so long work cannot starve short requests.
    short_threads: int = 8
    long_threads: int = 4
    # Workers lower their CPU priority by this much (``nice``; 0-19) so that on a shared
    # machine the web process answers queries and chats first while they ingest; alone on a
    # machine they run at full speed all the same.
    worker_nice: int = 10
    # Workers load the bundled embedding model before taking jobs (llamafarm_core/jobs/warm_up.py).
    worker_warm_up: bool = True
    # MiB of BM25 postings a process may hold in memory (llamafarm_core/lexical/memory.py reads
    # LF_LEXICAL_MEMORY_MIB itself, since an index has no Settings; read here so that ``serve``
    # refuses a bad value at start).
    lexical_memory_mib: int = 512

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("LF_DATA_DIR") or Path.home() / ".llamafarm").expanduser()
        return cls(
            data_dir=data_dir.resolve(),
            redis_url=os.environ.get("LF_REDIS_URL") or None,
            max_upload_bytes=_env_int("LF_MAX_UPLOAD_BYTES", DEFAULT_UPLOAD_LIMIT, 1),
            session_ttl_seconds=_env_int("LF_SESSION_TTL_SECONDS", 30 * 60),
            job_batch_files=_env_int("LF_JOB_BATCH_FILES", 512, 1),
            job_timeout_seconds=_env_int("LF_JOB_TIMEOUT_SECONDS", 3600, 1),
            job_retry_delays=_env_ints("LF_JOB_RETRY_DELAYS", (2, 10, 30)),
            file_seconds=_env_int("LF_FILE_SECONDS", 60),
            file_memory_mib=_env_int("LF_FILE_MEMORY_MIB", 2048),
            allowed_hosts=_env_list("LF_ALLOWED_HOSTS"),
            cors_origins=_env_origins("LF_CORS_ORIGINS"),
            api_key=os.environ.get("LF_API_KEY") or None,
            allowed_egress=_env_list("LF_ALLOWED_EGRESS"),
            max_json_bytes=_env_int("LF_MAX_JSON_BYTES", 16 * MiB, 1024),
            max_json_depth=_env_int("LF_MAX_JSON_DEPTH", 64, 2),
            max_bulk_files=_env_int("LF_MAX_BULK_FILES", 1000, 1),
            max_bulk_bytes=_env_int("LF_MAX_BULK_BYTES", 1024 * MiB, 1),
            max_chat_messages=_env_int("LF_MAX_CHAT_MESSAGES", 1000, 1),
            max_stop_sequences=_env_int("LF_MAX_STOP_SEQUENCES", 16, 0),
            max_chat_chars=_env_int("LF_MAX_CHAT_CHARS", 4 * MiB, 1),
            max_config_bytes=_env_int("LF_MAX_CONFIG_BYTES", 1 * MiB, 1024),
            short_threads=_env_int("LF_SHORT_THREADS", 8, 1),
            long_threads=_env_int("LF_LONG_THREADS", 4, 1),
            worker_nice=_env_nice("LF_WORKER_NICE", 10),
            worker_warm_up=_env_switch("LF_WORKER_WARM_UP", True),
            lexical_memory_mib=_env_int("LF_LEXICAL_MEMORY_MIB", 512),
        )

    @property
    def projects_dir(self) -> Path:
        return self.data_dir / "projects"

    @property
    def templates_dir(self) -> Path:
        return self.data_dir / "templates"

    @property
    def run_dir(self) -> Path:
        """Pid files, sockets and logs of the services ``serve`` starts."""
        return self.data_dir / "run"
