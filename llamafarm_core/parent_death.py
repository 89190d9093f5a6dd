"""Linux's parent-death signal: a child that must not outlive its parent asks for one.

Used by job workers and the embedded Redis (:mod:`llamafarm_core.jobs`) and by the per-file
parsing child (:mod:`llamafarm_core.ingest.isolation`).
"""

from __future__ import annotations

import signal
import sys


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies. False elsewhere.

    The setting survives ``exec``, which is how the embedded redis-server gets it.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(pr_set_pdeathsig, sig, 0, 0, 0) == 0)
