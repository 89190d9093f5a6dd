"""Process-wide settings, read from the environment once and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_UPLOAD_LIMIT = 100 * 1024 * 1024


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw and raw.strip().isdigit() else default


def _env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of non-negative integers ("2,10,30"); the default when unset or bad."""
    parts = [p.strip() for p in (os.environ.get(name) or "").split(",") if p.strip()]
    return tuple(int(p) for p in parts) if parts and all(p.isdigit() for p in parts) else default


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
    job_batch_files: int = 64
    job_timeout_seconds: int = 3600
    job_retry_delays: tuple[int, ...] = (2, 10, 30)

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("LF_DATA_DIR") or Path.home() / ".llamafarm").expanduser()
        return cls(
            data_dir=data_dir.resolve(),
            redis_url=os.environ.get("LF_REDIS_URL") or None,
            max_upload_bytes=_env_int("LF_MAX_UPLOAD_BYTES", DEFAULT_UPLOAD_LIMIT),
            session_ttl_seconds=_env_int("LF_SESSION_TTL_SECONDS", 30 * 60),
            job_batch_files=max(1, _env_int("LF_JOB_BATCH_FILES", 64)),
            job_timeout_seconds=max(1, _env_int("LF_JOB_TIMEOUT_SECONDS", 3600)),
            job_retry_delays=_env_ints("LF_JOB_RETRY_DELAYS", (2, 10, 30)),
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
