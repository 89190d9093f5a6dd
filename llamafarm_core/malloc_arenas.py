"""glibc's malloc arenas for a process that encodes in several threads (a worker).

glibc gives each thread that allocates at the same time as another a heap arena of its
own (up to 8 per core), and an arena keeps what its thread freed for that thread's reuse.
An encode allocates and frees tens of megabytes of activations per layer, so every encode
thread (each lane, each OpenMP thread) came to hold its own high-water mark: measured, a
worker's peak over a 2 MB corpus was 700 MB above its start with two lanes, 415 MB with
one arena, at the same speed (docs/performance.md, fifth round). Tensor allocations are
few and large, so threads sharing one arena do not wait on its lock in any measurable way.
"""

from __future__ import annotations

import os
import sys

_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = 1) -> bool:
    """Cap glibc's heap arenas for this process at ``arenas``; True when set. Call before
    threads start. ``MALLOC_ARENA_MAX`` or a ``glibc.malloc`` tunable in the environment
    wins (the user's choice); a no-op off glibc."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
