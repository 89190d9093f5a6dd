"""glibc malloc settings a process makes for itself at start (before any thread), each
unless the user set malloc's own knobs (environment variables or ``glibc.malloc`` tunables):
the user's choice wins. No-ops off glibc (musl has no ``mallopt``).

- :func:`fix_malloc_thresholds` (``serve``): by default glibc raises the mmap threshold
  each time a large mmapped block is freed (up to 32 MiB), so later blocks below that size
  come from the threads' heap arenas, which keep and fragment what is freed. The chat path
  makes many such blocks (llama.cpp's sampler alone copies the 262,144 logits of the bundled
  Gemma into a new 3 MiB array for every token). Measured with streamed chats side by side,
  a pinned threshold cut the server's growth after warm-up by three quarters and its
  arena heaps by ~110 MiB (docs/security.md, "Soak"). It is pinned at 512 KiB, not glibc's
  initial 128 KiB: an int8 encode (fbgemm) allocates a ~196 KiB packing buffer for every
  Linear layer it runs, so at 128 KiB each query's encode made 24 fresh mmaps and ~1,200
  page faults (``rag/query`` p50 ~0.5 ms slower; bench/malloc_settings.py). The trim
  threshold (free memory at the top of a heap that glibc hands back) is pinned at 8 MiB,
  not left at 128 KiB: else a heap would shrink after each such buffer is freed and grow
  again, page by page, for the next.
- :func:`limit_malloc_arenas` (workers): glibc gives each thread that allocates at the same
  time as another a heap arena of its own (up to 8 per core), and an arena keeps what its
  thread freed for that thread's reuse. An encode allocates and frees tens of megabytes of
  activations per layer, so every encode lane came to hold its own high-water mark:
  measured, a worker's peak over a 2 MB corpus was 700-781 MB above its start with two
  lanes, 532-604 MB with one arena, at the same speed (docs/performance.md, fifth round).
  Tensor allocations are few and large, so lanes sharing one arena do not wait on its lock
  measurably.
"""

from __future__ import annotations

import os
import sys

# Set in the environment, any of these fixes glibc's thresholds itself (and so disables the
# dynamic mmap threshold).
_THRESHOLD_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 512 * 1024
TRIM_THRESHOLD = 8 * 1024 * 1024


def fix_malloc_thresholds(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Pin glibc's mmap and trim thresholds (module doc); True when set. Same as
    ``MALLOC_MMAP_THRESHOLD_=524288 MALLOC_TRIM_THRESHOLD_=8388608``."""
    if any(name in os.environ for name in _THRESHOLD_ENV):
        return False
    return _mallopt(_M_MMAP_THRESHOLD, mmap_threshold) and _mallopt(_M_TRIM_THRESHOLD, trim_threshold)


def limit_malloc_arenas(arenas: int = 1) -> bool:
    """Cap glibc's heap arenas for this process at ``arenas``; True when set. Same as
    MALLOC_ARENA_MAX=1."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    return _mallopt(_M_ARENA_MAX, arenas)


def _mallopt(param: int, value: int) -> bool:
    if not sys.platform.startswith("linux") or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(param, value))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
