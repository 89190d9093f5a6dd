"""RerankedStrategy: each factor reorders candidates as documented."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.retrieval.corpus import Corpus
from tests.plugins.retrievers.helpers import ask, files, with_strategy


def rerank(corpus: Corpus, factors: dict[str, float], **extra: Any) -> list[str]:
    config = {"initial_k": 8, "rerank_factors": factors, **extra}
    project = with_strategy(corpus, "RerankedStrategy", config)
    return files(ask(corpus, "a short note", "probe", project=project, top_k=8))


def test_similarity_only_keeps_the_first_search_order(corpus: Corpus) -> None:
    plain = ask(corpus, "a short note", "basic", top_k=8)
    project = with_strategy(
        corpus,
        "RerankedStrategy",
        {"initial_k": 8, "rerank_factors": {"similarity": 1, "recency": 0, "length": 0, "metadata": 0}},
    )
    again = ask(corpus, "a short note", "probe", project=project, top_k=8)
    assert [(h.id, h.score) for h in again.hits] == [(h.id, pytest.approx(h.score)) for h in plain.hits]


def test_recency(corpus: Corpus) -> None:
    order = rerank(corpus, {"similarity": 0, "recency": 1, "length": 0, "metadata": 0})
    assert order[:2] == ["solar.md", "wind.md"]  # timestamped now and in 2019; the rest have none


def test_length(corpus: Corpus) -> None:
    order = rerank(
        corpus, {"similarity": 0, "recency": 0, "length": 1, "metadata": 0}, length_normalization=5000
    )
    assert order[0] == "bread.md"  # the longest text


def test_metadata_boosts(corpus: Corpus) -> None:
    boosts = {"priority": {"critical": 1.0, "medium": 0.5}}
    order = rerank(
        corpus, {"similarity": 0, "recency": 0, "length": 0, "metadata_boost": 1}, metadata_boosts=boosts
    )
    assert order[:2] == ["volcano.md", "bees.md"]


def test_scores_are_the_weighted_mean_of_factors(corpus: Corpus) -> None:
    factors = {"similarity": 1, "recency": 1, "length": 0, "metadata": 0}
    project = with_strategy(corpus, "RerankedStrategy", {"initial_k": 8, "rerank_factors": factors})
    base = {h.id: h.score for h in ask(corpus, "solar energy", "basic", top_k=8).hits}
    hits = ask(corpus, "solar energy", "probe", project=project, top_k=8).hits
    assert len(hits) == 8
    for hit in hits:
        if hit.metadata["filename"] == "solar.md":  # timestamped now: recency ~1
            assert hit.score == pytest.approx((base[hit.id] + 1) / 2, abs=1e-3)
        elif hit.metadata["filename"] != "wind.md":  # no timestamp: recency 0
            assert hit.score == pytest.approx(base[hit.id] / 2, abs=1e-6)
