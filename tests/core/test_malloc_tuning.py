"""glibc malloc settings: workers cap the arenas at one, serve pins the mmap and trim
thresholds; a setting the user made wins. Each check runs in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "from llamafarm_core.malloc_tuning import limit_malloc_arenas; print(limit_malloc_arenas())"


def _run(code: str, *args: str, **env: str) -> list[str]:
    """The output lines of ``code`` run in a fresh Python, without the caller's malloc settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_cap_is_set_unless_the_user_chose_arenas() -> None:
    assert _run(PROBE) == ["True"]
    assert _run(PROBE, MALLOC_ARENA_MAX="4") == ["False"]
    assert _run(PROBE, GLIBC_TUNABLES="glibc.malloc.arena_max=2") == ["False"]


# In a fresh process: how many blocks glibc mmaps for a 300 KiB and a 1 MiB malloc.
MMAPPED = """
import ctypes, sys
from llamafarm_core.malloc_tuning import fix_malloc_thresholds

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
print(fix_malloc_thresholds() if sys.argv[1] == "fix" else None)
for size in (300 * 1024, 1024 * 1024):
    before = libc.mallinfo2().hblks
    block = libc.malloc(size)
    print(libc.mallinfo2().hblks - before)
    libc.free(ctypes.c_void_p(block))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_serve_keeps_encode_sized_blocks_off_mmap_and_large_ones_on_it() -> None:
    # glibc's own start: a 300 KiB block (an int8 encode's packing buffer is ~196 KiB) is mmapped
    assert _run(MMAPPED, "none") == ["None", "1", "1"]
    # serve's thresholds: it comes from the heap, while a 1 MiB block (like llama.cpp's
    # per-token logits copy) is still mmapped, so it is returned whole when freed
    assert _run(MMAPPED, "fix") == ["True", "0", "1"]
    # a threshold the user set wins
    assert _run(MMAPPED, "fix", MALLOC_MMAP_THRESHOLD_="131072") == ["False", "1", "1"]
