"""BasicSimilarityStrategy on the corpus."""

from __future__ import annotations

import pytest

from llamafarm_core.errors import PluginError
from tests.core.retrieval.corpus import Corpus
from tests.plugins.retrievers.helpers import ask, files, with_strategy


def test_ranks_by_meaning(corpus: Corpus) -> None:
    assert files(ask(corpus, "insects that pollinate flowers", "basic", top_k=1)) == ["bees.md"]
    assert files(ask(corpus, "birds surviving antarctic cold", "basic", top_k=1)) == ["penguins.md"]
    assert files(ask(corpus, "a board game with kings and queens", "basic", top_k=1)) == ["chess.md"]


def test_config_top_k_threshold_and_metric(corpus: Corpus) -> None:
    project = with_strategy(corpus, "BasicSimilarityStrategy", {"top_k": 2, "score_threshold": 0.6})
    result = ask(corpus, "energy from wind and sun", "probe", project=project)
    assert len(result.hits) <= 2 and all(h.score >= 0.6 for h in result.hits)
    euclid = with_strategy(corpus, "BasicSimilarityStrategy", {"distance_metric": "l2"})
    plain = ask(corpus, "energy from wind and sun", "basic", top_k=3)
    rescored = ask(corpus, "energy from wind and sun", "probe", project=euclid, top_k=3)
    assert [h.id for h in rescored.hits] == [h.id for h in plain.hits]
    assert all(r.score < p.score for r, p in zip(rescored.hits, plain.hits, strict=True))


def test_bad_config_is_a_plugin_error_naming_the_path(corpus: Corpus) -> None:
    project = with_strategy(corpus, "BasicSimilarityStrategy", {"distance_metric": "hamming"})
    with pytest.raises(PluginError, match=r"retrieval_strategies\[\d+\]\.config.*hamming"):
        ask(corpus, "x", "probe", project=project)
