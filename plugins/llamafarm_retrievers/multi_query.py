"""MultiQueryStrategy: search with the query and LLM-written variants of it, then aggregate."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from llamafarm_core.plugin_api import (
    STOPWORDS,
    RetrievalContext,
    RetrievalRequest,
    RetrievalStrategy,
    SearchHit,
    best_of,
    ranked,
    reciprocal_rank,
    weighted_mean,
)
from llamafarm_retrievers._common import StrategyConfig, StrategyRef, inner_strategy, threshold

PROMPT = (
    "Rewrite the search query below in {n} different ways that keep its meaning. "
    "Write one rewrite per line, nothing else.\n\nQuery: {query}\nRewrites:\n"
)
_BULLET = re.compile(r"^\s*(?:[-*•]+|\d+[.):]|[a-z][.)])\s*", re.IGNORECASE)
_WORD = re.compile(r"[\w'-]+")


class MultiQueryConfig(StrategyConfig):
    num_queries: int = Field(3, ge=1, le=10, description="Variants searched besides the original query.")
    aggregation_method: Literal["max", "mean", "weighted", "reciprocal_rank"] = "max"
    per_query_k: int | None = Field(
        None, ge=1, le=1000, description="Results per query (default max(2 x top_k, 10))."
    )
    base_strategy: StrategyRef | None = Field(None, description="What each query runs (default basic).")
    generation_max_tokens: int = Field(96, ge=8, le=1024, description="LLM budget for writing the variants.")


class MultiQueryStrategy(RetrievalStrategy[MultiQueryConfig]):
    """Runs the base strategy for the original query and ``num_queries`` variants written by
    the project's default model, then combines the lists per chunk:

    - ``max``: the best score the chunk got from any query;
    - ``mean``: its mean score over all queries (a query that missed it adds 0), so chunks
      found by several queries rise;
    - ``weighted``: like mean, but the original query weighs 1 and each variant 0.5;
    - ``reciprocal_rank``: reciprocal-rank fusion (k=60) divided by its maximum.

    Without a usable model (none configured, or it fails), variants are made by rules
    (keywords only; first and second half of the keywords) and a warning says so.
    """

    name = "multi_query"
    aliases = ("MultiQueryStrategy",)

    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]:
        cfg = self.config
        k = request.k(cfg.top_k)
        base = inner_strategy(self, cfg.base_strategy, ctx, f"{self.name}.base_strategy")
        queries = [request.query, *self.variants(request.query, cfg, ctx)]
        per_k = cfg.per_query_k or max(2 * k, 10)
        lists = [
            base.retrieve(
                request.replace(query=q, top_k=per_k, score_threshold=None, query_expansion=False), ctx
            )
            for q in queries
        ]
        method = cfg.aggregation_method
        if method == "max":
            fused = best_of(lists)
        elif method == "reciprocal_rank":
            fused = reciprocal_rank([(hits, 1.0) for hits in lists])
        else:
            weights = [1.0] + [1.0 if method == "mean" else 0.5] * (len(lists) - 1)
            fused = weighted_mean(list(zip(lists, weights, strict=True)))
        return threshold(ranked(fused, k), request.threshold(cfg.score_threshold))

    def variants(self, query: str, cfg: MultiQueryConfig, ctx: RetrievalContext) -> list[str]:
        """Up to ``num_queries`` rewrites of ``query`` (LLM first, rules to fill up)."""
        found: list[str] = []
        generate = ctx.generate
        if generate is None:
            ctx.warn("query expansion: no language model available; used rule-based query variants")
        else:
            try:
                text = generate(PROMPT.format(n=cfg.num_queries, query=query), cfg.generation_max_tokens)
                found = parse_variants(text, query)[: cfg.num_queries]
            except Exception as err:  # the model failing must not fail the search
                ctx.warn(
                    f"query expansion: the language model failed ({err}); used rule-based query variants"
                )
            if len(found) < cfg.num_queries and generate is not None:
                ctx.warn(
                    f"query expansion: the language model gave {len(found)} usable variants of "
                    f"{cfg.num_queries}; the rest are rule-based"
                )
        for variant in rule_variants(query):
            if len(found) >= cfg.num_queries:
                break
            if variant.lower() not in {q.lower() for q in (query, *found)}:
                found.append(variant)
        return found


def parse_variants(text: str, query: str) -> list[str]:
    """Distinct lines of a model's answer that look like queries (not the query itself)."""
    out: list[str] = []
    seen = {query.strip().lower()}
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip().strip("\"'").strip()
        if (
            not 3 <= len(line) <= 300
            or not _WORD.search(line)
            or line.lower().startswith(("query:", "rewrites"))
        ):
            continue
        if line.lower() not in seen:
            seen.add(line.lower())
            out.append(line)
    return out


def rule_variants(query: str) -> list[str]:
    """Variants without a model: the keywords alone, then each half of them."""
    words = [w for w in _WORD.findall(query) if w.lower() not in STOPWORDS]
    out = [" ".join(words)] if words else []
    if len(words) >= 4:
        half = len(words) // 2
        out += [" ".join(words[:half]), " ".join(words[half:])]
    return [v for v in out if v and v.lower() != query.strip().lower()]
