"""BM25Strategy: lexical search over the database's persistent BM25 index."""

from __future__ import annotations

from llamafarm_core.plugin_api import (
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
)
from llamafarm_retrievers._common import StrategyConfig, threshold


class BM25Strategy(RetrievalStrategy[StrategyConfig]):
    """The ``top_k`` chunks by BM25 (English stopwords, Snowball stemming; SQLite FTS5).

    Scores are absolute: BM25 divided by the best BM25 any chunk could reach for the query
    (see :mod:`llamafarm_core.lexical.index`). No vectors are involved.
    """

    name = "bm25"
    aliases = ("BM25Strategy", "BM25Retriever")
    hybrid_alpha_mode = "lexical"

    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]:
        cfg = self.config
        hits = ctx.lexical_search(request.query, request.k(cfg.top_k), request.filters)
        return threshold(hits, request.threshold(cfg.score_threshold))
