"""RerankedStrategy: a broad first search, reordered by similarity, recency, length and metadata."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, model_validator

from llamafarm_core.plugin_api import (
    PluginConfig,
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
    clamp01,
    ranked,
    with_score,
)
from llamafarm_retrievers._common import StrategyRef, VectorConfig, dense_search, inner_strategy, threshold

DEFAULT_BOOSTS = {
    "priority": {"critical": 1.0, "high": 0.6, "medium": 0.2},
    "verified": {"true": 0.5},
}


class RerankFactors(PluginConfig):
    """Weights of the factors; the final score is their weighted mean."""

    similarity: float = Field(1.0, ge=0)
    recency: float = Field(0.1, ge=0)
    length: float = Field(0.05, ge=0)
    metadata: float = Field(0.2, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _original_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and "metadata_boost" in data:  # the original's name
            data = {k: v for k, v in data.items() if k != "metadata_boost"} | {
                "metadata": data["metadata_boost"]
            }
        return data


class RerankedConfig(VectorConfig):
    initial_k: int = Field(20, ge=1, le=1000, description="Candidates fetched before reranking.")
    final_k: int | None = Field(None, ge=1, le=1000, description="Results returned (top_k is the same).")
    rerank_factors: RerankFactors = Field(default_factory=lambda: RerankFactors.model_validate({}))
    length_normalization: int = Field(1000, ge=1, description="Characters at which the length factor is 1.")
    recency_fields: list[str] = Field(
        default_factory=lambda: ["timestamp", "modified_at", "updated_at", "created_at", "date"],
        description="Metadata keys holding a time (ISO 8601 text or Unix seconds); the first present counts.",
    )
    recency_half_life_days: float = Field(30.0, gt=0, description="Age at which the recency factor is 0.5.")
    metadata_boosts: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_BOOSTS.items()},
        description="key -> {value: boost in [0, 1]}; the metadata factor is the sum of matches, capped at 1.",
    )
    base_strategy: StrategyRef | None = Field(None, description="The first search (default basic).")


class RerankedStrategy(RetrievalStrategy[RerankedConfig]):
    """Fetches ``initial_k`` candidates, then scores each as the weighted mean of factors in
    [0, 1] (weights from ``rerank_factors``):

    - ``similarity``: the candidate's score from the first search;
    - ``recency``: ``0.5 ** (age_days / recency_half_life_days)`` from the first of
      ``recency_fields`` present (0 when none is);
    - ``length``: ``min(len(text) / length_normalization, 1)``;
    - ``metadata``: the sum of ``metadata_boosts`` whose key/value the chunk has, capped at 1.

    With only ``similarity`` weighted the order is the first search's.
    """

    name = "reranked"
    aliases = ("RerankedStrategy",)

    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]:
        cfg = self.config
        k = request.top_k or cfg.final_k or cfg.top_k or 5
        depth = max(cfg.initial_k, k)
        if cfg.base_strategy is None and self.context.get("inner") is None:
            candidates = dense_search(request, ctx, depth, cfg.distance_metric)
        else:
            base = inner_strategy(self, cfg.base_strategy, ctx, f"{self.name}.base_strategy")
            candidates = base.retrieve(request.replace(top_k=depth, score_threshold=None), ctx)
        now = time.time()
        rescored = {h.id: with_score(h, self.score(h, cfg, now)) for h in candidates}
        return threshold(ranked(rescored, k), request.threshold(cfg.score_threshold))

    @staticmethod
    def score(hit: SearchHit, cfg: RerankedConfig, now: float) -> float:
        f = cfg.rerank_factors
        parts = [
            (f.similarity, hit.score),
            (f.recency, recency(hit.metadata, cfg.recency_fields, cfg.recency_half_life_days, now)),
            (f.length, min(len(hit.text) / cfg.length_normalization, 1.0)),
            (f.metadata, metadata_boost(hit.metadata, cfg.metadata_boosts)),
        ]
        total = sum(w for w, _ in parts)
        return clamp01(sum(w * v for w, v in parts) / total) if total > 0 else hit.score


def _timestamp(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) / (1000.0 if value > 1e11 else 1.0)  # milliseconds are common too
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None


def recency(metadata: dict[str, Any], fields: list[str], half_life_days: float, now: float) -> float:
    for key in fields:
        if key in metadata:
            ts = _timestamp(metadata[key])
            if ts is not None:
                age_days = max(0.0, (now - ts) / 86400.0)
                return float(0.5 ** (age_days / half_life_days))
    return 0.0


def metadata_boost(metadata: dict[str, Any], boosts: dict[str, dict[str, float]]) -> float:
    total = 0.0
    for key, table in boosts.items():
        if key in metadata:
            value = metadata[key]
            label = str(value).lower() if not isinstance(value, bool) else ("true" if value else "false")
            total += {str(k).lower(): v for k, v in table.items()}.get(label, 0.0)
    return clamp01(total)
