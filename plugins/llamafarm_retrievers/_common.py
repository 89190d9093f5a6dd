"""Config pieces and helpers the built-in strategies share (not a component)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator

from llamafarm_core.plugin_api import (
    PluginConfig,
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
    canonical_metric,
)


class StrategyConfig(PluginConfig):
    """Options every built-in strategy takes. A request's own value wins over these."""

    top_k: int | None = Field(None, ge=1, le=1000, description="Results returned (default 5).")
    score_threshold: float | None = Field(None, ge=0, le=1, description="Drop results scoring below this.")


def _check_metric(value: str | None) -> str | None:
    try:
        return canonical_metric(value)
    except Exception as err:
        raise ValueError(getattr(err, "message", str(err))) from None


class VectorConfig(StrategyConfig):
    distance_metric: str | None = Field(
        None, description="cosine, dot, euclidean or manhattan; the store's own metric when not given."
    )

    _metric = field_validator("distance_metric")(_check_metric)


class StrategyRef(PluginConfig):
    """A nested strategy: ``{type, config}`` (``weight`` where strategies are combined)."""

    type: str = Field(min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(1.0, ge=0)
    name: str | None = None


def threshold(hits: Sequence[SearchHit], minimum: float | None) -> list[SearchHit]:
    return list(hits) if minimum is None else [h for h in hits if h.score >= minimum]


def wanted_metric(request: RetrievalRequest, ctx: RetrievalContext, configured: str | None) -> str | None:
    """The metric to rescore the vector side with; None when it is the store's own ranking."""
    metric = canonical_metric(request.distance_metric) or configured
    return None if metric is None or metric == ctx.store_metric else metric


def dense_search(
    request: RetrievalRequest, ctx: RetrievalContext, k: int, configured_metric: str | None = None
) -> list[SearchHit]:
    """Vector search honouring ``distance_metric``: when the wanted metric is not the
    store's, 4x the candidates (at least 20) are fetched and rescored with it."""
    metric = wanted_metric(request, ctx, configured_metric)
    if metric is None:
        return ctx.vector_search(request.query, k, request.filters)
    candidates = ctx.vector_search(request.query, max(4 * k, 20), request.filters)
    return ctx.rescore(request.query, candidates, metric)[:k]


def inner_strategy(
    owner: RetrievalStrategy, ref: StrategyRef | None, ctx: RetrievalContext, where: str
) -> RetrievalStrategy:
    """The strategy a wrapper works on: the instance given as ``inner=`` when it was built,
    else its ``base_strategy`` config, else ``basic``."""
    given = owner.context.get("inner")
    if given is not None:
        assert isinstance(given, RetrievalStrategy)
        return given
    if ref is None:
        return ctx.build("basic", {}, where=where)
    return ctx.build(ref.type, ref.config, where=f"{where}.config")
