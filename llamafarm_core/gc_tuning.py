"""Keep Python's cyclic garbage collector off what a process loads once and keeps.

A warm worker or server holds ~510,000 objects the collector tracks, nearly all from loading
the embedding model (torch ~136,000, transformers and sentence-transformers ~246,000) and
the vector store's client (chromadb ~46,000). None of them ever becomes garbage, but every
full collection walks them all: ~270 ms of one core, holding the GIL, so the encode lanes
and every request thread wait for it. Python runs one whenever the objects that survived
younger collections reach a quarter of the old ones, which ingesting or answering queries
keeps doing: a Cranfield ingest in one process ran two, a server answering ~2,000 queries
nine (docs/performance.md).

:func:`exempt_from_gc` collects once and then calls ``gc.freeze()``: what is alive moves to
a permanent generation that collections skip (reference counting still frees them
as usual; only a cycle among them would never be collected, and a loaded model is never
dropped). It is called once per key, right after something long-lived was loaded: the
embedding model (``model_cache.get_model``), the Chroma client library, a worker's warm-up.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

_lock = threading.Lock()
_done: set[str] = set()


def exempt_from_gc(key: str) -> bool:
    """The first time ``key`` is given in this process: collect garbage, then exempt every
    object alive now from later collections (module doc). True when it ran now."""
    with _lock:
        if key in _done:
            return False
        _done.add(key)
        started = time.perf_counter()
        gc.collect()
        gc.freeze()
    log.debug(
        "gc: %s exempt from collections (%d objects, %.0f ms)",
        key,
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )
    return True
