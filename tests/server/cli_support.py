"""Running the ``llamafarm`` command as a subprocess in tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LF = [sys.executable, "-m", "llamafarm_server.cli"]


def run_cli(
    url: str | None,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``llamafarm ARGS --url URL`` (no ``--url`` when ``url`` is None: LF_URL or the default)."""
    argv = [*LF, *args, *(["--url", url] if url else [])]
    full_env = {k: v for k, v in os.environ.items() if k not in ("LF_URL", "LF_SERVER_URL", "LF_API_KEY")}
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=600,
        env={**full_env, **(env or {})},
        cwd=cwd,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    return result


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a ``--json`` command printed (stdout holds nothing else)."""
    ok(result)
    return json.loads(result.stdout)


def one_line_error(result: subprocess.CompletedProcess[str], status: int = 1) -> str:
    """A failed command: the given exit status, nothing on stdout, one line on stderr."""
    assert result.returncode == status, result
    assert result.stdout == "", result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
