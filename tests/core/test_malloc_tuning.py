"""Workers cap glibc's malloc arenas at one, unless the user set MALLOC_ARENA_MAX."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "from llamafarm_core.malloc_tuning import limit_malloc_arenas; print(limit_malloc_arenas())"


def _probe(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_cap_is_set_unless_the_user_chose_arenas() -> None:
    assert _probe() == "True"
    assert _probe(MALLOC_ARENA_MAX="4") == "False"
    assert _probe(GLIBC_TUNABLES="glibc.malloc.arena_max=2") == "False"
