"""A worker loads the bundled embedding model before it takes its first job.

Loading torch and all-MiniLM-L6-v2 and running a first encode take ~4 s of one core
(importing the Chroma client, which the first write would otherwise do, ~0.5 s more). Without
a warm-up the first job of every worker pays them, inside the user's processing time, and
they do not shrink with more workers: measured, they were most of what kept two pinned
workers from scaling (docs/performance.md). Projects with another embedder lose nothing but
the memory of a model they do not use (``LF_WORKER_WARM_UP=0`` turns it off).

The warm-up runs *before* the worker registers with Redis, not beside it in a thread. A
background warm-up let jobs start at once, but it ran torch's import beside RQ's loop: in
one CI run and 1 of 2 runs under CPU load, a worker whose Redis restarted during the warm-up
never took another job. Run first, nothing else is running yet; a job queued meanwhile waits
in Redis for those seconds, which is what it would have spent loading the model itself.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import TYPE_CHECKING

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.gc_tuning import exempt_from_gc
from llamafarm_core.plugin_api import Embedder
from llamafarm_core.plugins.registry import Registry

if TYPE_CHECKING:
    from llamafarm_core.ingest.isolation import FileBudget

log = logging.getLogger("llamafarm.worker")

# The embedder of the rag template (llamafarm_core/config/templates/rag.yaml; a test keeps
# them equal): its precision decides which model the cache holds.
BUNDLED_EMBEDDER = (
    "SentenceTransformerEmbedder",
    {"model_name": "all-MiniLM-L6-v2", "batch_size": 32, "normalize_embeddings": True, "precision": "fast"},
)
# ... and the client library of its vector store, imported on a job's first write otherwise.
BUNDLED_STORE_CLIENT = "chromadb"


def warm_up(registry: Registry, budget: FileBudget | None = None) -> bool:
    """Load the bundled embedder and run one encode; False (logged) when it cannot load here.

    With ``budget`` (the worker's file budget), first start the children that parse a job's
    files (``isolation.prestart``, as many as a run uses at once): a child's interpreter and
    plugin imports take ~0.25 s, which the first job would otherwise wait for; they run while
    the model loads."""
    if budget is not None:
        from llamafarm_core.ingest.isolation import prestart
        from llamafarm_core.ingest.pipeline import PREPARE_AHEAD

        prestart(budget, PREPARE_AHEAD)
    kind, config = BUNDLED_EMBEDDER
    started = time.perf_counter()
    try:
        embedder = registry.build_as(PluginKind.EMBEDDER, Embedder, kind, config, where="worker warm-up")
        embedder.embed(["warm up"])
    except Exception as err:  # no such plugin or model here: the first job will say why
        log.info("embedder warm-up skipped: %s", err)
        return False
    try:
        importlib.import_module(BUNDLED_STORE_CLIENT)
    except Exception as err:  # not installed: the first job that needs it will say so
        log.info("vector store client not imported: %s", err)
    else:  # its objects too: out of the cyclic GC's full collections (gc_tuning.py)
        exempt_from_gc(BUNDLED_STORE_CLIENT)
    log.info("embedder warmed up in %.1f s", time.perf_counter() - started)
    return True
