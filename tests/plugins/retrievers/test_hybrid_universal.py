"""HybridUniversalStrategy: the combination methods, the original's config keys, nesting."""

from __future__ import annotations

import pytest
import yaml

from llamafarm_core.errors import PluginError
from tests.conftest import FIXTURES
from tests.core.retrieval.corpus import Corpus
from tests.plugins.retrievers.helpers import ask, files, with_strategy

QUERY = "ZQ7 maintenance and wind turbine blades"
COMPAT = FIXTURES / "compat" / "mixed_format_rag.yaml"


def test_rank_fusion_equals_the_hybrid_rrf(corpus: Corpus) -> None:
    universal = ask(corpus, QUERY, "universal", top_k=5)
    project = with_strategy(corpus, "HybridStrategy", {"fusion": "rrf"})
    hybrid = ask(corpus, QUERY, "probe", project=project, top_k=5)
    assert [(h.id, round(h.score, 6)) for h in universal.hits] == [
        (h.id, round(h.score, 6)) for h in hybrid.hits
    ]


def test_weighted_average_and_score_fusion(corpus: Corpus) -> None:
    vector = {h.id: h.score for h in ask(corpus, QUERY, "basic", top_k=50).hits}
    lexical = {h.id: h.score for h in ask(corpus, QUERY, "bm25", top_k=50).hits}
    strategies = [{"type": "basic", "weight": 3}, {"type": "bm25", "weight": 1}]
    avg = with_strategy(
        corpus,
        "HybridUniversalStrategy",
        {"strategies": strategies, "combination_method": "weighted_average"},
    )
    for hit in ask(corpus, QUERY, "probe", project=avg, top_k=5).hits:
        assert hit.score == pytest.approx((3 * vector.get(hit.id, 0) + lexical.get(hit.id, 0)) / 4, abs=1e-6)
    fused = with_strategy(
        corpus, "HybridUniversalStrategy", {"strategies": strategies, "combination_method": "score_fusion"}
    )
    top = ask(corpus, QUERY, "probe", project=fused, top_k=5).hits
    assert all(0 <= h.score <= 1 for h in top) and top[0].score > top[-1].score


def test_the_original_keys_fusion_method_rrf_and_top_k(corpus: Corpus) -> None:
    raw = yaml.safe_load(COMPAT.read_text())
    config = raw["rag"]["databases"][0]["retrieval_strategies"][0]["config"]
    assert config["fusion_method"] == "rrf" and config["top_k"] == 8
    project = with_strategy(corpus, "HybridUniversalStrategy", config)
    result = ask(corpus, "penguins in winter", "probe", project=project)
    assert len(result.hits) == 8  # its top_k
    assert files(result)[0] == "penguins.md"
    assert result.hits[0].score == pytest.approx(1.0)  # rank fusion: first for its one strategy


def test_conflicting_methods_and_nested_errors(corpus: Corpus) -> None:
    bad = with_strategy(
        corpus, "HybridUniversalStrategy", {"fusion_method": "rrf", "combination_method": "weighted_average"}
    )
    with pytest.raises(PluginError, match="disagree"):
        ask(corpus, "x", "probe", project=bad)
    nested = with_strategy(corpus, "HybridUniversalStrategy", {"strategies": [{"type": "NoSuchStrategy"}]})
    with pytest.raises(PluginError, match=r"strategies\[0\].*NoSuchStrategy"):
        ask(corpus, "x", "probe", project=nested)


def test_hybrid_alpha_reweights_lexical_against_the_rest(corpus: Corpus) -> None:
    vector_only = ask(corpus, QUERY, "universal", top_k=4, hybrid_alpha=1.0)
    lexical_only = ask(corpus, QUERY, "universal", top_k=4, hybrid_alpha=0.0)
    assert files(vector_only) == files(ask(corpus, QUERY, "basic", top_k=4))
    assert files(lexical_only) == files(ask(corpus, QUERY, "bm25", top_k=4))
