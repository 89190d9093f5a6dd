"""HybridStrategy: alpha extremes are the pure sides, fusion methods as documented."""

from __future__ import annotations

import pytest

from tests.core.retrieval.corpus import Corpus
from tests.plugins.retrievers.helpers import ask, files, with_strategy

QUERY = "ZQ7 maintenance and wind turbine blades"


def test_alpha_one_is_vector_search_and_zero_is_bm25(corpus: Corpus) -> None:
    vector = ask(corpus, QUERY, "basic", top_k=4)
    lexical = ask(corpus, QUERY, "bm25", top_k=4)
    assert ask(corpus, QUERY, "hybrid", top_k=4, hybrid_alpha=1.0).hits == vector.hits
    assert ask(corpus, QUERY, "hybrid", top_k=4, hybrid_alpha=0.0).hits == lexical.hits


def test_rrf_scores(corpus: Corpus) -> None:
    vector = [h.id for h in ask(corpus, QUERY, "basic", top_k=50).hits]
    lexical = [h.id for h in ask(corpus, QUERY, "bm25", top_k=50).hits]
    project = with_strategy(corpus, "HybridStrategy", {"fusion": "rrf"})
    fused = ask(corpus, QUERY, "probe", project=project, top_k=4)
    for hit in fused.hits:
        raw = sum(0.5 / (60 + ranks.index(hit.id) + 1) for ranks in (vector, lexical) if hit.id in ranks)
        assert hit.score == pytest.approx(raw / (1 / 61), abs=1e-6)
    assert set(files(fused)[:2]) == {"zq7-manual.md", "wind.md"}


def test_score_fusion_is_the_weighted_mean_of_both_scores(corpus: Corpus) -> None:
    project = with_strategy(corpus, "HybridStrategy", {"fusion": "score", "alpha": 0.25})
    vector = {h.id: h.score for h in ask(corpus, QUERY, "basic", top_k=50).hits}
    lexical = {h.id: h.score for h in ask(corpus, QUERY, "bm25", top_k=50).hits}
    for hit in ask(corpus, QUERY, "probe", project=project, top_k=5).hits:
        assert hit.score == pytest.approx(
            0.25 * vector.get(hit.id, 0) + 0.75 * lexical.get(hit.id, 0), abs=1e-6
        )


def test_alpha_moves_the_ranking(corpus: Corpus) -> None:
    query = "gasket"  # the word is only in the ZQ7 manual; MiniLM relates it to little else
    assert files(ask(corpus, query, "hybrid", top_k=3, hybrid_alpha=0.1))[0] == "zq7-manual.md"
    low, high = (ask(corpus, query, "hybrid", top_k=8, hybrid_alpha=a).hits for a in (0.2, 0.8))
    # Chunks only the vector side finds gain with alpha, the one both find stays first.
    assert low[0].id == high[0].id
    assert sum(h.score for h in high[1:]) > sum(h.score for h in low[1:])


@pytest.mark.parametrize("fusion", ["score", "rrf"])
def test_fused_hits_carry_the_stored_text_and_metadata(corpus: Corpus, fusion: str) -> None:
    """The vector side's candidates are fetched as ids and scores only; what is returned
    still has each chunk's own text and metadata, as the full searches give them."""
    lexical = {h.id: h for h in ask(corpus, QUERY, "bm25", top_k=50).hits}
    full = {h.id: h for h in ask(corpus, QUERY, "basic", top_k=50).hits} | lexical
    project = with_strategy(corpus, "HybridStrategy", {"fusion": fusion, "alpha": 0.7})
    fused = ask(corpus, QUERY, "probe", project=project, top_k=8).hits
    assert len(fused) == 8
    assert any(h.id not in lexical for h in fused)  # some came from the vector side alone
    for hit in fused:
        assert (hit.text, hit.metadata) == (full[hit.id].text, full[hit.id].metadata)
        assert hit.text and hit.metadata["filename"]
    vector_only = ask(corpus, QUERY, "hybrid", top_k=6, hybrid_alpha=1.0).hits
    assert [(h.id, h.text, h.metadata) for h in vector_only] == [
        (h.id, h.text, h.metadata) for h in ask(corpus, QUERY, "basic", top_k=6).hits
    ]
