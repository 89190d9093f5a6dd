"""CrossEncoderRerankedStrategy: candidates reordered by a local sentence-transformers CrossEncoder."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import (
    BadRequest,
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
    ranked,
    with_score,
)
from llamafarm_retrievers._common import StrategyConfig, StrategyRef, inner_strategy, threshold

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


class CrossEncoderConfig(StrategyConfig):
    model_name: str | None = Field(
        None, description="Path of a sentence-transformers CrossEncoder directory (nothing is downloaded)."
    )
    initial_k: int = Field(20, ge=1, le=1000, description="Candidates scored by the cross-encoder.")
    final_k: int | None = Field(None, ge=1, le=1000, description="Results returned (top_k is the same).")
    batch_size: int = Field(16, ge=1, le=512)
    max_length: int | None = Field(None, ge=8, le=4096, description="Token limit per (query, text) pair.")
    base_strategy: StrategyRef | None = Field(None, description="The first search (default basic).")


def load_cross_encoder(model_name: str | None, max_length: int | None = None) -> Any:
    """The CrossEncoder at ``model_name`` (a local directory, or a model already in the local
    Hugging Face cache), loaded once per process. BadRequest when it isn't available here."""
    if not model_name:
        raise BadRequest(
            "the cross-encoder reranker needs a model: set model_name (or the request's rerank_model) "
            "to the path of a sentence-transformers CrossEncoder directory"
        )
    key = f"{model_name}|{max_length}"
    with _LOCK:
        if key in _MODELS:
            return _MODELS[key]
        from sentence_transformers import CrossEncoder

        path = Path(model_name).expanduser()
        try:
            if path.exists():
                model = CrossEncoder(str(path), device="cpu", max_length=max_length, local_files_only=True)
            else:
                model = CrossEncoder(model_name, device="cpu", max_length=max_length, local_files_only=True)
        except Exception as err:
            raise BadRequest(
                f"cross-encoder model {model_name!r} is not available on this machine and nothing is "
                f"downloaded; give the path of a local sentence-transformers CrossEncoder directory "
                f"({type(err).__name__}: {str(err)[:200]})"
            ) from None
        _MODELS[key] = model
        return model


class CrossEncoderRerankedStrategy(RetrievalStrategy[CrossEncoderConfig]):
    """Scores ``initial_k`` candidates of the first search with a CrossEncoder reading the
    query and the chunk together, and returns the best ``final_k``.

    Scores are the model's logit through a sigmoid, in [0, 1]. The model is a local path
    (config ``model_name`` or the request's ``rerank_model``); one that isn't available is a
    400 that says so, never a download.
    """

    name = "cross_encoder"
    aliases = ("CrossEncoderRerankedStrategy",)

    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]:
        cfg = self.config
        model = load_cross_encoder(request.rerank_model or cfg.model_name, cfg.max_length)
        k = request.top_k or cfg.final_k or cfg.top_k or 5
        base = inner_strategy(self, cfg.base_strategy, ctx, f"{self.name}.base_strategy")
        candidates = base.retrieve(
            request.replace(top_k=max(cfg.initial_k, k), score_threshold=None, rerank_model=None), ctx
        )
        if not candidates:
            return []
        logits = predict_logits(model, request.query, [h.text for h in candidates], cfg.batch_size)
        rescored = {h.id: with_score(h, _sigmoid(z)) for h, z in zip(candidates, logits, strict=True)}
        return threshold(ranked(rescored, k), request.threshold(cfg.score_threshold))


def predict_logits(model: Any, query: str, texts: list[str], batch_size: int) -> list[float]:
    """One relevance logit per text; a model with several labels is refused."""
    import torch

    scores = model.predict(
        [(query, t) for t in texts],
        batch_size=batch_size,
        activation_fn=torch.nn.Identity(),
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    if getattr(scores, "ndim", 1) == 2:
        if scores.shape[1] != 1:
            raise BadRequest(
                f"the cross-encoder gives {scores.shape[1]} scores per pair; a reranker must give one"
            )
        scores = scores[:, 0]
    return [float(s) for s in scores]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
