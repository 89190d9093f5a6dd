"""serve pins glibc's mmap threshold (so large freed blocks go back to the OS instead of
staying in thread arenas, see docs/security.md "Soak"), unless the user set malloc's own knobs."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
CALL = "from llamafarm_server.cli.serve import fix_malloc_mmap_threshold as f; print(f())"


def pinned(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    done = subprocess.run(
        [sys.executable, "-c", CALL], env={**clean, **env}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_serve_pins_the_mmap_threshold_by_default() -> None:
    assert pinned() == "True"


@pytest.mark.parametrize(
    "env",
    [
        {"MALLOC_MMAP_THRESHOLD_": "262144"},
        {"MALLOC_TRIM_THRESHOLD_": "131072"},
        {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=262144"},
    ],
)
def test_the_users_malloc_settings_win(env: dict[str, str]) -> None:
    assert pinned(**env) == "False"
