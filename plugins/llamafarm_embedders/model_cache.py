"""Process-wide cache of loaded sentence-transformers models.

Many embedder instances (one per database, per job, per request) share one loaded model per
(path, device, precision). Loading happens once under a lock; encoding is serialised per model (one
encode thread each, :meth:`LoadedModel.run`), since concurrent encodes on the same CPU cores
only slow each other down.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from llamafarm_core.plugin_api import ComponentUnavailable
from llamafarm_embedders.precision import store_linear_weights_in_bf16

T = TypeVar("T")
ENCODE_THREADS_ENV = "LF_ENCODE_THREADS"


@dataclass
class LoadedModel:
    """A loaded model and the one thread its load and encodes run in (see :meth:`run`)."""

    model: Any
    device: str
    precision: str  # "bfloat16": its Linear weights are bfloat16 (precision.encode_bucketed only)
    _thread: ThreadPoolExecutor = field(repr=False)

    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` (an encode) in this model's one thread, after the ones queued before.

        torch's OpenMP (libgomp) gives every calling thread its own team of worker threads.
        A team spins for a while after each use, so encodes arriving from a pool of request
        threads leave several teams competing for the cores; and once a process's teams
        hold more threads than it has cores, libgomp cuts every team's spinning short, so
        each parallel region pays futex sleeps and wake-ups. Measured (Cranfield, 2 cores,
        same machine): HTTP ``rag/query`` basic p50 28.7 -> 22.8 ms with one encode thread;
        a one-query encode 8.3 -> 4.2 ms when the load ran in that thread too (the load's
        weight copies had left a second team in the loading thread).
        """
        return self._thread.submit(work).result()


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
        if loaded is None:
            thread = ThreadPoolExecutor(1, thread_name_prefix="lf-encode")
            try:
                model = thread.submit(_load, path, device, precision).result()
            except BaseException:
                thread.shutdown(wait=False)
                raise
            loaded = LoadedModel(model, device, precision, thread)
            _models[key] = loaded
        return loaded


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
    threads = encode_threads()
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a server's log is no place for progress bars
    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as err:  # a broken or foreign directory: say which and why
        raise ComponentUnavailable(f"cannot load a sentence-transformers model from {path}: {err}") from None
    if precision == "bfloat16":
        store_linear_weights_in_bf16(model)
    return model
