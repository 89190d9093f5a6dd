"""Process-wide cache of loaded sentence-transformers models.

Many embedder instances (one per database, per job, per request) share one loaded model per
(path, device). Loading happens once under a lock; encoding is serialised per model (one
encode thread each, :meth:`LoadedModel.run`), since concurrent encodes on the same CPU cores
only slow each other down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from llamafarm_core.plugin_api import ComponentUnavailable

T = TypeVar("T")


@dataclass
class LoadedModel:
    """A loaded model and the one thread its encodes run in."""

    model: Any
    device: str
    _thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="lf-encode"), repr=False
    )

    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` (an encode) in this model's one thread, after the ones queued before.

        torch's OpenMP gives every calling thread its own team of worker threads, and a
        team spins for a while after each use, so encodes arriving from a pool of request
        threads leave several teams competing for the cores. Measured (Cranfield, 2 cores,
        same machine): HTTP ``rag/query`` basic p50 28.7 -> 22.8 ms with one encode thread.
        """
        return self._thread.submit(work).result()


_lock = threading.Lock()
_models: dict[tuple[str, str], LoadedModel] = {}


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


def get_model(path: Path, device: str) -> LoadedModel:
    """The model at ``path`` on ``device`` (already resolved), loaded on first request."""
    key = (str(path.resolve()), device)
    with _lock:
        loaded = _models.get(key)
        if loaded is None:
            loaded = LoadedModel(_load(path, device), device)
            _models[key] = loaded
        return loaded


def _load(path: Path, device: str) -> Any:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a server's log is no place for progress bars
    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as err:  # a broken or foreign directory: say which and why
        raise ComponentUnavailable(f"cannot load a sentence-transformers model from {path}: {err}") from None
