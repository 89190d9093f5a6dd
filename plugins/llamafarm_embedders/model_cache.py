"""Process-wide cache of loaded sentence-transformers models.

Many embedder instances (one per database, per job, per request) share one loaded model per
(path, device, precision). Loading happens once under a lock. Encodes run in the model's own
*lanes* (:meth:`LoadedModel.map`), never in the callers' threads, since encodes arriving from
many threads only slow each other down:

- ``LF_ENCODE_THREADS=N`` (``llamafarm serve`` sets 1): one lane, torch with N threads.
- unset (workers) on a CPU: one lane per usable core, each with one torch thread, so a
  call's batches run side by side (data parallel) instead of one batch at a time over a
  team of OpenMP threads (see :func:`encode_lanes` for why).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from llamafarm_core.plugin_api import ComponentUnavailable, exempt_from_gc
from llamafarm_embedders.int8 import quantize_linears
from llamafarm_embedders.packed import pack_linears
from llamafarm_embedders.precision import to_bfloat16
from llamafarm_embedders.row_blocks import block_feed_forward
from llamafarm_embedders.traced import trace_transformer

T = TypeVar("T")
U = TypeVar("U")
ENCODE_THREADS_ENV = "LF_ENCODE_THREADS"


@dataclass
class LoadedModel:
    """A loaded model and the lanes (threads) its load and encodes run in (see :meth:`map`)."""

    model: Any
    device: str
    # "bfloat16": all its weights are bfloat16 (precision.to_bfloat16); "int8": its
    # Linear layers are int8 ones (int8.py), fed one text per forward pass
    precision: str
    _lanes: ThreadPoolExecutor = field(repr=False)
    # Hugging Face fast tokenizers set their truncation and padding on the shared Rust
    # object at every call, and two threads calling at once can fail ("Already borrowed"):
    # every use of this model's tokenizer holds this lock (it is ~2% of an encode).
    tokenizing: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # torch threads each lane runs with (None: torch's default); a one-text call may run in
    # its caller's thread with the same number (see :meth:`map`)
    threads: int | None = None
    # held by the one call that runs in its caller's thread instead of a lane
    _inline: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def map(self, work: Callable[[U], T], items: Sequence[U]) -> list[T]:
        """``work`` on each item, in this model's lanes (side by side when it has several);
        results in order. An exception is raised once every item has ended (none is left
        running behind the caller's back).

        Never in the callers' threads: torch's OpenMP (libgomp) gives every calling thread
        its own team of worker threads. A team spins for a while after each use, so encodes
        arriving from a pool of request threads leave several teams competing for the
        cores; and once a process's teams hold more threads than it has cores, libgomp cuts
        every team's spinning short, so each parallel region pays futex sleeps and wake-ups.
        Measured (Cranfield, 2 cores, same machine): HTTP ``rag/query`` basic p50 28.7 ->
        22.8 ms with one encode thread; a one-query encode 8.3 -> 4.2 ms when the load ran
        in that thread too (the load's weight copies had left a second team in the loading
        thread).

        Except one: a call with a single item (a query's text) runs in the caller's thread,
        with the lanes' number of torch threads, when the lanes run one thread each and no
        other call is running that way: the two thread hops it saves are ~0.3 ms of a 5 ms
        query encode on a 2-core VM (each wakes a thread on the other core). At most one
        call at a time runs so, so the encodes in flight stay bounded (lanes + 1).
        """
        if len(items) == 1 and self.threads == 1 and self._inline.acquire(blocking=False):
            try:
                _threads_here(1)
                return [work(items[0])]
            finally:
                self._inline.release()
        futures = [self._lanes.submit(work, item) for item in items]
        wait(futures)
        return [f.result() for f in futures]


_lock = threading.Lock()
_models: dict[tuple[str, str, str], LoadedModel] = {}


def resolve_device(device: str) -> str:
    """``auto`` → cuda or mps when present, else cpu; an absent accelerator is an error."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ComponentUnavailable(f"device {device!r} is not available here; use device: cpu or auto")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ComponentUnavailable("device 'mps' is not available here; use device: cpu or auto")
    return device


def get_model(path: Path, device: str, precision: str = "float32") -> LoadedModel:
    """The model at ``path`` on ``device`` for ``precision`` (both already resolved, see
    ``precision.resolve_precision``), loaded on first request."""
    key = (str(path.resolve()), device, precision)
    with _lock:
        loaded = _models.get(key)
        if loaded is not None:
            return loaded
        lanes, threads = encode_lanes(device)
        pool = ThreadPoolExecutor(
            lanes, thread_name_prefix="lf-encode", initializer=_set_threads, initargs=(threads,)
        )
        try:
            model = pool.submit(_load, path, device, precision).result()
        except BaseException:
            pool.shutdown(wait=False)
            raise
        loaded = LoadedModel(model, device, precision, pool, threads=threads)
        _models[key] = loaded
    # Kept for the process's life, like the ~380,000 objects torch and transformers brought:
    # out of the cyclic GC's full collections (llamafarm_core/gc_tuning.py).
    exempt_from_gc(f"model {key}")
    return loaded


def encode_lanes(device: str) -> tuple[int, int | None]:
    """(lanes, torch threads per lane; None: torch's default) for encodes on ``device``.

    ``LF_ENCODE_THREADS`` set, or not a CPU: one lane. Otherwise one lane per usable core
    (its affinity: a worker pinned with ``taskset`` to one core gets one), one thread each.
    Two one-thread lanes encode a call's batches faster than one two-thread team (Cranfield
    chunks, 2 cores, same process order: 16.3 / 16.4 s against 17.2 / 16.9 s), and they do
    not wait on each other: an OpenMP team stops at every barrier of every layer while any
    other work (parsing children, a store write, Redis) holds one of its cores, where a lane
    only loses the time it was off its core.
    """
    threads = encode_threads()
    if threads is not None or device != "cpu":
        return 1, threads
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return (cores, 1) if cores > 1 else (1, None)


def _set_threads(threads: int | None) -> None:
    """(each lane, as it starts) torch's intra-op threads for encodes in this thread."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


_here = threading.local()


def _threads_here(threads: int) -> None:
    """:func:`_set_threads` in a caller's thread, once per thread."""
    if getattr(_here, "threads", None) != threads:
        _set_threads(threads)
        _here.threads = threads


def encode_threads() -> int | None:
    """``LF_ENCODE_THREADS``: torch's intra-op threads for this process's encodes; None (unset)
    keeps torch's default, one per core. ``llamafarm serve`` sets 1 for itself
    (``limit_own_encode_threads``); workers keep every core."""
    raw = os.environ.get(ENCODE_THREADS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ComponentUnavailable(f"{ENCODE_THREADS_ENV}={raw!r}: expected a whole number >= 1")
    return int(raw)


def _load(path: Path, device: str, precision: str) -> Any:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a server's log is no place for progress bars
    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as err:  # a broken or foreign directory: say which and why
        raise ComponentUnavailable(f"cannot load a sentence-transformers model from {path}: {err}") from None
    if precision == "bfloat16":
        to_bfloat16(model)  # every weight: no casts in the forward pass
        if device == "cpu":
            pack_linears(model)  # laid out once for oneDNN, not at every product (packed.py)
    elif precision == "int8":
        quantize_linears(model)
        trace_transformer(model)  # one text per pass: run it without the GIL (traced.py)
    if device == "cpu" and precision != "int8":  # int8 quantizes each text's rows: no blocks
        block_feed_forward(model)  # same vectors, ~4 % faster on a CPU (row_blocks.py)
    return model
