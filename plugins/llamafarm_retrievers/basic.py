"""BasicSimilarityStrategy: nearest chunks by vector similarity."""

from __future__ import annotations

from llamafarm_core.plugin_api import (
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
)
from llamafarm_retrievers._common import VectorConfig, dense_search, threshold


class BasicSimilarityStrategy(RetrievalStrategy[VectorConfig]):
    """The ``top_k`` chunks nearest to the query vector.

    Scores are the store's: ``(1 + cos) / 2`` for cosine (see
    :mod:`llamafarm_core.retrieval.scoring`). A ``distance_metric`` other than the store's
    rescores 4x the candidates with that metric.
    """

    name = "basic"
    aliases = ("BasicSimilarityStrategy",)

    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]:
        cfg = self.config
        hits = dense_search(request, ctx, request.k(cfg.top_k), cfg.distance_metric)
        return threshold(hits, request.threshold(cfg.score_threshold))
