"""A worker loads the bundled embedding model as it starts, in the background.

Loading torch and all-MiniLM-L6-v2 and running a first encode take ~4 s of one core. Without
a warm-up the first job of every worker pays them, inside the user's processing time (and
they do not shrink with more workers: measured, they were most of what kept two pinned
workers from scaling, docs/performance.md). The load runs in a daemon thread, so the worker
takes jobs at once; a job that needs the model meanwhile waits for the same load (the model
cache loads each model once). Projects with another embedder lose nothing but the memory
of a model they do not use. Opt-in (``LF_WORKER_WARM_UP=1``): with it on, a worker whose
Redis restarted during the warm-up stalled once in four tries under CPU load (its queue
listener did not come back); until that is understood it stays off by default.
"""

from __future__ import annotations

import logging
import threading

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.plugin_api import Embedder
from llamafarm_core.plugins.registry import Registry

log = logging.getLogger("llamafarm.worker")

# The embedder of the rag template (llamafarm_core/config/templates/rag.yaml).
BUNDLED_EMBEDDER = ("SentenceTransformerEmbedder", {"model_name": "all-MiniLM-L6-v2"})


def warm_up_in_background(registry: Registry) -> threading.Thread:
    """Start loading the bundled embedder (and one encode) in a daemon thread."""
    thread = threading.Thread(target=_warm_up, args=(registry,), name="lf-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up(registry: Registry) -> None:
    kind, config = BUNDLED_EMBEDDER
    try:
        embedder = registry.build_as(PluginKind.EMBEDDER, Embedder, kind, config, where="worker warm-up")
        embedder.embed(["warm up"])
    except Exception as err:  # no such plugin or model here: the first job will say why
        log.info("embedder warm-up skipped: %s", err)
