"""The retrieval service: one function that answers a RAG query, used by the
``POST …/rag/query`` route and by chat's RAG.

    from llamafarm_core.retrieval import RetrievalRequest, service

    result = service.query(settings, registry, project, RetrievalRequest("what is lift?", top_k=5),
                           database=None, strategy=None)
    for hit in result.hits:           # SearchHit: id, text, score in [0, 1], metadata
        print(hit.score, hit.metadata["filename"], hit.text[:80])

- ``database``: a ``rag.databases[]`` name; None = ``rag.default_database``, else the first.
- ``strategy``: a configured ``retrieval_strategies[].name`` of that database, or a
  registered strategy type (``basic``, ``hybrid``, ``BM25Strategy``, …); None = the
  database's ``default_retrieval_strategy``, else the one marked ``default: true``, else the
  first, else ``basic``.
- Request fields that a strategy doesn't handle itself wrap it: ``hybrid_alpha`` fuses it
  with BM25 (HybridStrategy with it as the vector side), ``query_expansion`` runs it for
  LLM-written variants (MultiQueryStrategy), ``rerank_model`` reorders its candidates with a
  local CrossEncoder. ``top_k`` and ``score_threshold`` default to the strategy's configured
  values (``final_k``/``top_k``, ``score_threshold``), then 5 and none. ``filters`` are
  checked again on the way out, ``max_tokens`` trims the contents last.
- Errors: no ``rag`` section, an unknown database or strategy → BadRequest (400) naming what
  exists; an empty database answers with no hits.
- The database, the built strategy and the database handle come from a plan kept per
  version of the project's config (:mod:`llamafarm_core.retrieval.plans`): a query does
  not validate configs or build components again while the config is unchanged.
- ``generate`` (``(prompt, max_tokens) -> str``) overrides the project's default model for
  query expansion; by default it is built from ``llamafarm_core.llm.generate`` on first use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from llamafarm_core.components.retrieval import RetrievalStrategy
from llamafarm_core.databases import EmbedderCache
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.retrieval.context import Generate, RetrievalContext
from llamafarm_core.retrieval.filters import matches
from llamafarm_core.retrieval.plans import KIND, plans
from llamafarm_core.retrieval.request import DEFAULT_TOP_K, RetrievalRequest, RetrievalResult
from llamafarm_core.retrieval.scoring import clamp01, with_score
from llamafarm_core.retrieval.tokens import fit_budget
from llamafarm_core.settings import Settings


def query(
    settings: Settings,
    registry: Registry,
    project: Project,
    request: RetrievalRequest,
    database: str | None = None,
    strategy: str | None = None,
    *,
    generate: Generate | None = None,
    embedders: EmbedderCache | None = None,
) -> RetrievalResult:
    """Answer ``request`` from one database of ``project`` (see the module doc)."""
    started = time.perf_counter()
    plan = plans().get(registry, project, database, strategy, embedders)
    db, label, built, handle = plan.database, plan.label, plan.strategy, plan.handle
    request = _with_defaults(request, built)
    ctx = RetrievalContext(
        handle, registry, generate=generate, generate_factory=_generator_factory(settings, registry, project)
    )
    try:
        hits = [] if _is_empty(ctx) else _wrap(built, request, ctx).retrieve(request, ctx)
    finally:
        ctx.close()
    hits = [with_score(h, clamp01(h.score)) for h in hits if matches(h.metadata, request.filters)]
    if request.score_threshold is not None:
        hits = [h for h in hits if h.score >= request.score_threshold]
    hits = hits[: request.top_k]
    if request.max_tokens is not None:
        hits = fit_budget(hits, request.max_tokens)
    elapsed = (time.perf_counter() - started) * 1000.0
    return RetrievalResult(request.query, db.name, label, hits, round(elapsed, 2), ctx.warnings)


def _configured(strategy: RetrievalStrategy, *keys: str) -> Any:
    for key in keys:
        value = getattr(strategy.config, key, None)
        if value is not None:
            return value
    return None


def _with_defaults(request: RetrievalRequest, strategy: RetrievalStrategy) -> RetrievalRequest:
    """Fill ``top_k`` and ``score_threshold`` from the strategy's config, then defaults."""
    top_k = request.top_k or _configured(strategy, "final_k", "top_k") or DEFAULT_TOP_K
    threshold = request.score_threshold
    if threshold is None:
        threshold = _configured(strategy, "score_threshold")
    return request.replace(top_k=top_k, score_threshold=threshold)


def _wrap(strategy: RetrievalStrategy, request: RetrievalRequest, ctx: RetrievalContext) -> RetrievalStrategy:
    """Apply the request fields the strategy doesn't handle itself (module doc)."""
    if request.hybrid_alpha is not None:
        mode = strategy.hybrid_alpha_mode
        if mode == "lexical":  # BM25 alone: the hybrid adds the vector side to it
            strategy = ctx.build("hybrid", {}, where="hybrid_alpha")
        elif mode != "native":
            strategy = ctx.build("hybrid", {}, where="hybrid_alpha", inner=strategy)
    if request.query_expansion and not isinstance(strategy, _cls(ctx.registry, "multi_query")):
        strategy = ctx.build("multi_query", {}, where="query_expansion", inner=strategy)
    if request.rerank_model and not isinstance(strategy, _cls(ctx.registry, "cross_encoder")):
        strategy = ctx.build(
            "cross_encoder", {"model_name": request.rerank_model}, where="rerank_model", inner=strategy
        )
    return strategy


def _cls(registry: Registry, name: str) -> type:
    return registry.get(KIND, name).cls


def _is_empty(ctx: RetrievalContext) -> bool:
    """No chunks stored: there is no model record and the store counts none."""
    if ctx.handle.model() is not None:
        return False
    return ctx.store().count() == 0


def _generator_factory(
    settings: Settings, registry: Registry, project: Project
) -> Callable[[], Generate | None]:
    def factory() -> Generate | None:
        from llamafarm_core.llm.generate import text_generator

        return text_generator(settings, registry, project)

    return factory
