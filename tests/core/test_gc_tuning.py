"""What a process loads for good leaves the cyclic GC's full collections: garbage is
collected first, what is alive is frozen, once per key. Each check runs in a fresh process
(freezing the test process's own objects would change what other tests see)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, weakref
from llamafarm_core.gc_tuning import exempt_from_gc

class Node:
    pass

garbage = Node(); garbage.me = garbage  # a cycle only the collector frees
dead = weakref.ref(garbage); del garbage
kept = [Node() for _ in range(1000)]
for node in kept:
    node.me = node
frozen_before = gc.get_freeze_count()
assert exempt_from_gc("a") is True
assert dead() is None, "garbage from before the call was frozen instead of collected"
assert gc.get_freeze_count() >= frozen_before + 1000
assert not any(o is kept[0] for o in gc.get_objects()), "a live object is still walked"
assert exempt_from_gc("a") is False  # once per key
young = [Node() for _ in range(10)]
assert exempt_from_gc("b") is True  # another key runs again
assert not any(o is young[0] for o in gc.get_objects())
print("ok")
"""

LOADED = """
import gc, sys, tempfile
from pathlib import Path
from llamafarm_core.plugin_api import minilm_path
from llamafarm_embedders.model_cache import get_model
get_model(minilm_path(), "cpu", "float32")
assert gc.get_freeze_count() > 100_000, gc.get_freeze_count()  # torch, transformers, the model
assert "chromadb" not in sys.modules
from llamafarm_stores.chroma_clients import close_persistent, open_persistent
where = Path(tempfile.mkdtemp())
close_persistent(open_persistent(where), where)
walked = len(gc.get_objects())
assert walked < 20_000, walked  # chromadb's ~46,000 import-time objects went too
print("ok")
"""


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_garbage_is_collected_and_what_lives_is_exempt_once_per_key() -> None:
    assert _run(PROBE) == "ok"


def test_a_loaded_model_and_the_chroma_client_library_are_exempt() -> None:
    assert _run(LOADED) == "ok"
