"""HybridUniversalStrategy: several strategies combined into one ranking."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from llamafarm_core.plugin_api import (
    RRF_K,
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
    min_max,
    ranked,
    reciprocal_rank,
    weighted_mean,
)
from llamafarm_retrievers._common import StrategyConfig, StrategyRef, threshold

Method = Literal["weighted_average", "rank_fusion", "score_fusion"]
# The original's and other common spellings of the combination method.
_FUSION_NAMES: dict[str, Method] = {
    "weighted_average": "weighted_average",
    "weighted": "weighted_average",
    "linear": "weighted_average",
    "average": "weighted_average",
    "rank_fusion": "rank_fusion",
    "rrf": "rank_fusion",
    "reciprocal_rank": "rank_fusion",
    "reciprocal_rank_fusion": "rank_fusion",
    "score_fusion": "score_fusion",
    "combsum": "score_fusion",
    "normalized": "score_fusion",
}


class HybridUniversalConfig(StrategyConfig):
    strategies: list[StrategyRef] = Field(
        default_factory=lambda: [
            StrategyRef(type="basic", weight=0.5),
            StrategyRef(type="bm25", weight=0.5),
        ],
        min_length=1,
        description="Strategies to combine: [{type, weight, config}].",
    )
    combination_method: Method = "rank_fusion"
    fusion_method: str | None = Field(None, description="The same as combination_method (rrf = rank_fusion).")
    final_k: int | None = Field(None, ge=1, le=1000, description="Results returned (top_k is the same).")
    candidate_k: int | None = Field(
        None, ge=1, le=1000, description="Candidates asked of each strategy (default max(10 x final_k, 50))."
    )
    rrf_k: int = Field(RRF_K, ge=1, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _fusion_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("fusion_method") is not None:
            raw = str(data["fusion_method"]).lower()
            method = _FUSION_NAMES.get(raw)
            if method is None:
                raise ValueError(
                    f"fusion_method: unknown method {raw!r}; known: {', '.join(sorted(_FUSION_NAMES))}"
                )
            given = data.get("combination_method")
            if given is not None and _FUSION_NAMES.get(str(given).lower(), given) != method:
                raise ValueError(f"combination_method {given!r} and fusion_method {raw!r} disagree; give one")
            data = {**data, "combination_method": method}
        return data


class HybridUniversalStrategy(RetrievalStrategy[HybridUniversalConfig]):
    """Runs every configured strategy for ``candidate_k`` candidates and combines them:

    - ``weighted_average``: weighted mean of each chunk's [0, 1] scores (a strategy that
      didn't return it adds 0);
    - ``score_fusion``: the same after min-max scaling each strategy's scores to [0, 1]
      (its best = 1, its worst = 0), for strategies whose scores live on different ranges;
    - ``rank_fusion`` (``fusion_method: rrf``): weighted reciprocal-rank fusion divided by
      its maximum, so 1.0 means first for every strategy.

    A request's ``hybrid_alpha`` re-weights the lexical strategies (bm25) to ``1 - alpha``
    and the others to ``alpha``, shared in proportion to their configured weights.
    """

    name = "hybrid_universal"
    aliases = ("HybridUniversalStrategy",)
    hybrid_alpha_mode = "native"

    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]:
        cfg = self.config
        k = request.top_k or cfg.final_k or cfg.top_k or 5
        depth = max(cfg.candidate_k or max(10 * k, 50), k)
        sub_request = request.replace(top_k=depth, score_threshold=None, hybrid_alpha=None)
        lists: list[tuple[list[SearchHit], float]] = []
        built = [
            ctx.build(ref.type, ref.config, where=f"{self.name}.strategies[{i}].config")
            for i, ref in enumerate(cfg.strategies)
        ]
        weights = self._weights(built, [ref.weight for ref in cfg.strategies], request.hybrid_alpha)
        for strategy, weight in zip(built, weights, strict=True):
            if weight > 0:
                lists.append((strategy.retrieve(sub_request, ctx), weight))
        if cfg.combination_method == "rank_fusion":
            fused = reciprocal_rank(lists, cfg.rrf_k)
        elif cfg.combination_method == "score_fusion":
            fused = weighted_mean([(min_max(hits), w) for hits, w in lists])
        else:
            fused = weighted_mean(lists)
        return threshold(ranked(fused, k), request.threshold(cfg.score_threshold))

    @staticmethod
    def _weights(built: list[RetrievalStrategy], weights: list[float], alpha: float | None) -> list[float]:
        if alpha is None:
            return weights
        lexical = [s.hybrid_alpha_mode == "lexical" for s in built]
        lex_total = sum(w for w, is_lex in zip(weights, lexical, strict=True) if is_lex)
        vec_total = sum(w for w, is_lex in zip(weights, lexical, strict=True) if not is_lex)
        out = []
        for w, is_lex in zip(weights, lexical, strict=True):
            side, total = ((1 - alpha), lex_total) if is_lex else (alpha, vec_total)
            out.append(side * w / total if total > 0 else 0.0)
        return out
