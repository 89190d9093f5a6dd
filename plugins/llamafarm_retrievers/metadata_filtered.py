"""MetadataFilteredStrategy: vector search restricted by metadata conditions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from llamafarm_core.plugin_api import (
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
    matches,
    parse_filters,
)
from llamafarm_retrievers._common import VectorConfig, dense_search, threshold


class MetadataFilteredConfig(VectorConfig):
    filters: dict[str, Any] | list[dict[str, Any]] = Field(
        default_factory=dict,
        description='Conditions, e.g. {"doc_type": "report", "page": {"$gte": 2}} (see docs/retrieval.md).',
    )
    filter_mode: Literal["pre", "post"] = Field(
        "pre", description="pre: the store filters while searching; post: search, then filter."
    )
    fallback_multiplier: int = Field(
        3, ge=1, le=100, description="post mode: candidates fetched = top_k x this, before filtering."
    )

    @field_validator("filters")
    @classmethod
    def _valid_filters(cls, value: Any) -> Any:
        try:
            parse_filters(value, "filters")
        except Exception as err:
            raise ValueError(getattr(err, "message", str(err))) from None
        return value


class MetadataFilteredStrategy(RetrievalStrategy[MetadataFilteredConfig]):
    """Vector search among chunks matching ``filters`` (AND-ed with the request's filters).

    ``pre``: the conditions go to the store, so ``top_k`` matching chunks come back when they
    exist. ``post``: ``top_k x fallback_multiplier`` nearest chunks are fetched and those
    that don't match are dropped, so fewer than ``top_k`` may remain. A condition on a key a
    chunk lacks never matches it. Scores are the vector scores.
    """

    name = "metadata_filtered"
    aliases = ("MetadataFilteredStrategy",)

    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]:
        cfg = self.config
        k = request.k(cfg.top_k)
        own = parse_filters(cfg.filters, "filters")
        if cfg.filter_mode == "pre":
            hits = dense_search(
                request.replace(filters=(*request.filters, *own)), ctx, k, cfg.distance_metric
            )
        else:
            every = (*request.filters, *own)
            wide = dense_search(
                request.replace(filters=()), ctx, k * cfg.fallback_multiplier, cfg.distance_metric
            )
            hits = [h for h in wide if matches(h.metadata, every)][:k]
        return threshold(hits, request.threshold(cfg.score_threshold))
