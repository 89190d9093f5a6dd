"""MultiQueryStrategy: variants from the project's real LLM (embedded Gemma) or, without a
usable model, from rules with a warning; aggregation methods as documented."""

from __future__ import annotations

from typing import Any

import pytest
from llamafarm_retrievers.multi_query import (
    MultiQueryConfig,
    MultiQueryStrategy,
    parse_variants,
    rule_variants,
)

from llamafarm_core.databases import open_database
from llamafarm_core.llm.generate import text_generator
from llamafarm_core.retrieval.context import RetrievalContext
from tests.core.retrieval.corpus import MAIN, Corpus
from tests.plugins.retrievers.helpers import ask, with_strategy

UNREACHABLE = {
    "name": "gone",
    "provider": "openai",
    "model": "x",
    "base_url": "http://127.0.0.1:9/v1",
    "default": True,
}


def no_llm(corpus: Corpus, config: dict[str, Any] | None = None) -> Any:
    project = with_strategy(corpus, "MultiQueryStrategy", config or {"num_queries": 2})
    project.config.runtime.models = [project.config.runtime.models[0].__class__(**UNREACHABLE)]
    return project


def test_parse_and_rule_variants() -> None:
    text = "1. How do solar cells work?\n- solar cell physics\n\nQuery: x\nhow do solar panels work\n2) How do solar cells work?"
    assert parse_variants(text, "how do solar panels work") == [
        "How do solar cells work?",
        "solar cell physics",
    ]
    assert rule_variants("how do the solar panels make electricity") == [
        "solar panels make electricity",
        "solar panels",
        "make electricity",
    ]
    assert rule_variants("the of") == []


def test_variants_come_from_the_embedded_model(corpus: Corpus) -> None:
    project = corpus.project
    handle = open_database(corpus.registry, project, MAIN)
    generate = text_generator(corpus.settings, corpus.registry, project)
    calls: list[str] = []

    def recorded(prompt: str, max_tokens: int) -> str:
        out = generate(prompt, max_tokens)
        calls.append(out)
        return out

    ctx = RetrievalContext(handle, corpus.registry, generate=recorded)
    strategy = MultiQueryStrategy(MultiQueryConfig(num_queries=2, generation_max_tokens=40))
    try:
        variants = strategy.variants("how do solar panels make electricity", strategy.config, ctx)  # type: ignore[arg-type]
    finally:
        ctx.close()
    assert len(calls) == 1 and calls[0].strip()  # the model was asked and answered
    model_lines = parse_variants(calls[0], "how do solar panels make electricity")
    assert variants[: len(model_lines[:2])] == model_lines[:2]  # its lines come first
    assert len(variants) == 2 and "how do solar panels make electricity" not in variants
    assert all("no language model" not in w for w in ctx.warnings)


def test_query_expansion_flag_with_the_embedded_model(corpus: Corpus) -> None:
    plain = {h.id: h.score for h in ask(corpus, "insects and flowers", "semantic", top_k=8).hits}
    result = ask(corpus, "insects and flowers", "semantic", top_k=3, query_expansion=True)
    assert result.hits and result.strategy == "semantic"
    assert all("no language model available" not in w for w in result.warnings)
    # max aggregation over the query and its variants: never below the query's own score
    assert all(h.score >= plain[h.id] - 1e-9 for h in result.hits)


def test_query_expansion_changes_the_result(corpus: Corpus) -> None:
    project = no_llm(corpus)
    query = "honeybees, chess queens and sourdough bread"
    plain = ask(corpus, query, "semantic", project=project, top_k=3)
    expanded = ask(corpus, query, "semantic", project=project, top_k=3, query_expansion=True)
    plain_scores = {h.id: h.score for h in ask(corpus, query, "semantic", project=project, top_k=8).hits}
    assert [(h.id, h.score) for h in expanded.hits] != [(h.id, h.score) for h in plain.hits]
    assert all(h.score >= plain_scores[h.id] for h in expanded.hits)
    assert any(h.score > plain_scores[h.id] for h in expanded.hits)  # a variant matched it better


def test_without_a_usable_model_rules_are_used_and_it_says_so(corpus: Corpus) -> None:
    result = ask(corpus, "honeybees and chess queens", "probe", project=no_llm(corpus), top_k=4)
    assert any("rule-based" in w for w in result.warnings)
    names = [h.metadata["filename"] for h in result.hits]
    assert {"bees.md", "chess.md"} <= set(names)


@pytest.mark.parametrize("method", ["max", "mean", "weighted", "reciprocal_rank"])
def test_aggregation_methods(corpus: Corpus, method: str) -> None:
    query = "honeybees and chess queens"
    project = no_llm(corpus, {"num_queries": 3, "aggregation_method": method})
    result = ask(corpus, query, "probe", project=project, top_k=8)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    variants = [query, *rule_variants(query)[:3]]
    lists = [ask(corpus, q, "basic", top_k=10).hits for q in variants]
    per_query = [{h.id: h.score for h in hits} for hits in lists]
    ranks = [{h.id: r for r, h in enumerate(hits, start=1)} for hits in lists]
    for hit in result.hits:
        got = [p.get(hit.id, 0.0) for p in per_query]
        if method == "max":
            assert hit.score == pytest.approx(max(got), abs=1e-6)
        elif method == "mean":
            assert hit.score == pytest.approx(sum(got) / len(got), abs=1e-6)
        elif method == "weighted":
            assert hit.score == pytest.approx(
                (got[0] + 0.5 * sum(got[1:])) / (1 + 0.5 * (len(got) - 1)), abs=1e-6
            )
        else:
            rrf = sum(1 / (60 + r[hit.id]) for r in ranks if hit.id in r)
            assert hit.score == pytest.approx(rrf / (len(ranks) / 61), abs=1e-6)
