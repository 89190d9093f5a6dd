"""A bad ``LF_*`` value read by the command line (not by Settings) is an error naming it,
and does not break the commands that don't use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llamafarm_server.cli", *args],
        env={**os.environ, "LF_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["abc", "70000", "-1"])
def test_serve_refuses_a_bad_lf_port_naming_it(tmp_path: Path, value: str) -> None:
    proc = _cli(tmp_path, {"LF_PORT": value}, "serve")
    assert proc.returncode == 2
    assert "LF_PORT" in proc.stderr and repr(value) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_lf_port_leaves_other_commands_alone(tmp_path: Path) -> None:
    proc = _cli(tmp_path, {"LF_PORT": "abc"}, "--help")
    assert proc.returncode == 0 and "serve" in proc.stdout and "Traceback" not in proc.stderr


def test_serve_refuses_a_bad_lf_log_level_naming_it(tmp_path: Path) -> None:
    proc = _cli(tmp_path, {"LF_LOG_LEVEL": "loud"}, "serve", "--port", "0")
    assert proc.returncode == 2 and "LF_LOG_LEVEL='loud'" in proc.stderr
