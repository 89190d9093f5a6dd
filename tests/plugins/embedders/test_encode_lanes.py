"""Encode lanes: a worker (LF_ENCODE_THREADS unset) runs a call's batches side by side, one
torch thread per usable core; LF_ENCODE_THREADS (serve sets 1) keeps one lane."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from llamafarm_embedders.model_cache import encode_lanes


def test_unset_gives_one_one_thread_lane_per_usable_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LF_ENCODE_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    assert encode_lanes("cpu") == (3, 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {5}, raising=False)
    assert encode_lanes("cpu") == (1, None)  # pinned to one core: torch's default, one thread


def test_a_thread_count_or_an_accelerator_gives_one_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LF_ENCODE_THREADS", "2")
    assert encode_lanes("cpu") == (1, 2)
    monkeypatch.delenv("LF_ENCODE_THREADS")
    assert encode_lanes("cuda") == (1, None)


PROBE = """
import json, threading
import numpy as np
import torch
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=4))
model = embedder._model().model
seen = []
model[0].register_forward_pre_hook(
    lambda _m, _a: seen.append((threading.current_thread().name, torch.get_num_threads()))
)
texts = [("wing flutter at supersonic speed " * (1 + i % 7)).strip() for i in range(40)]
together = np.array(embedder.embed(texts))
batched, seen[:] = list(seen), []
alone = np.array([embedder.embed([t])[0] for t in texts])  # one text: in this thread
single = list(seen)
# Many callers at once: every tokenizer use is serialised, every answer is the right one.
answers = {}
def call(k):
    answers[k] = np.array(embedder.embed(texts[k : k + 9]))
callers = [threading.Thread(target=call, args=(k,)) for k in range(0, 32, 4)]
[t.start() for t in callers]
[t.join() for t in callers]
print(json.dumps({
    "lanes": sorted({name for name, _ in batched}),
    "threads": sorted({n for _, n in batched + single}),
    "single": sorted({name for name, _ in single}),
    "order_kept": float(np.min((together * alone).sum(axis=1))),
    "concurrent": min(float(np.min((answers[k] * together[k : k + 9]).sum(axis=1))) for k in answers),
    "answered": len(answers),
}))
"""


@pytest.mark.slow
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="lanes need two usable cores")
def test_a_workers_batches_run_in_one_thread_lanes_with_each_texts_vector() -> None:
    """Many texts: side by side in the lanes; one text: in the caller's thread, also with
    one torch thread; the same vector either way, and from many callers at once."""
    env = {k: v for k, v in os.environ.items() if k not in ("LF_ENCODE_THREADS", "OMP_NUM_THREADS")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.splitlines()[-1])
    assert len(got["lanes"]) >= 2 and all(name.startswith("lf-encode") for name in got["lanes"])
    assert got["threads"] == [1]
    assert got["single"] == ["MainThread"]  # a one-text call skips the two thread hops
    assert got["order_kept"] > 0.9999  # each text gets its own vector back, in order
    assert got["concurrent"] > 0.9999 and got["answered"] == 8


def test_map_keeps_order_and_raises_only_once_every_item_has_ended() -> None:
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from llamafarm_embedders.model_cache import LoadedModel

    lanes = ThreadPoolExecutor(2)
    loaded = LoadedModel(None, "cpu", "float32", lanes)
    assert loaded.map(lambda n: n * n, [3, 1, 2]) == [9, 1, 4]
    ended = threading.Event()

    def work(item: int) -> int:
        if item == 0:
            raise ValueError("bad batch")
        time.sleep(0.3)
        ended.set()
        return item

    with pytest.raises(ValueError, match="bad batch"):
        loaded.map(work, [0, 1])
    assert ended.is_set()  # the other batch was not left running behind the caller
    lanes.shutdown()


def test_one_item_runs_in_the_callers_thread_one_call_at_a_time() -> None:
    """A single item skips the lanes (two thread hops) when the lanes run one torch thread
    each and no other call is doing so; a second call meanwhile queues for the lanes."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from llamafarm_embedders.model_cache import LoadedModel

    lanes = ThreadPoolExecutor(1, thread_name_prefix="lane")
    loaded = LoadedModel(None, "cpu", "float32", lanes, threads=1)
    here = threading.current_thread().name
    where = lambda _item: threading.current_thread().name  # noqa: E731
    assert loaded.map(where, ["q"]) == [here]
    assert loaded.map(where, ["a", "b"]) == ["lane_0", "lane_0"]  # several: the lanes

    inside, release = threading.Event(), threading.Event()

    def hold(_item: str) -> str:
        inside.set()
        release.wait(10)
        return threading.current_thread().name

    first: list[str] = []
    holder = threading.Thread(target=lambda: first.extend(loaded.map(hold, ["q"])), name="caller")
    holder.start()
    assert inside.wait(10)
    assert loaded.map(where, ["q"]) == ["lane_0"]  # the caller's-thread slot is taken
    release.set()
    holder.join(10)
    assert first == ["caller"]
    unset = LoadedModel(None, "cpu", "float32", lanes)  # torch's default thread count: lanes
    assert unset.map(where, ["q"]) == ["lane_0"]
    lanes.shutdown()
