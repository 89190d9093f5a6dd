"""RAKEExtractor: stopword-delimited phrases ranked by degree/frequency."""

from __future__ import annotations

import pytest
from llamafarm_extractors.rake import RakeConfig, rake

from llamafarm_core.errors import PluginError
from llamafarm_core.testing.extractors import ExtractorContract


class TestRakeContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("RAKEExtractor")

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [aero_text, fda_text]

    @pytest.fixture
    def expected_keys(self):
        return {"keywords", "rake_keywords"}


def test_boundary_layer_ranks_high(one, aero_text):
    keywords = one("rake", aero_text, max_keywords=10)["keywords"]
    assert "boundary layer" in keywords
    # RAKE favours long phrases: the best one holds the paragraph's key term...
    assert any("boundary layer" in k for k in keywords[:2])
    # ...and the term mentioned five times outranks two-word phrases mentioned once.
    assert keywords.index("boundary layer") < keywords.index("flat plate")
    assert keywords.index("boundary layer") < keywords.index("wind tunnel")
    assert all(w not in k.split() for k in keywords for w in ("the", "of", "and", "on"))


def test_scores_are_degree_over_frequency():
    # Phrases: "deep learning" x2, "learning rate", "rate". Words: deep f2 d4; learning f3 d6; rate f2 d3.
    scored = rake(
        "Deep learning. Deep learning and a learning rate. The rate.", RakeConfig(min_keyword_length=1)
    )
    assert scored == [("deep learning", 4.0), ("learning rate", 3.5), ("rate", 1.5)]


def test_scores_descend_and_pairs_match_keywords(one, aero_text):
    meta = one("rake", aero_text)
    scores = [s for _, s in meta["rake_keywords"]]
    assert scores == sorted(scores, reverse=True)
    assert [k for k, _ in meta["rake_keywords"]] == meta["keywords"]


def test_length_and_count_options(one, aero_text):
    meta = one("rake", aero_text, max_keywords=3, max_length=2, min_keyword_length=5)
    assert len(meta["keywords"]) == 3
    assert all(len(k.split()) <= 2 and len(k) >= 5 for k in meta["keywords"])
    frequent = one("rake", aero_text, min_frequency=2)["keywords"]
    assert set(frequent) <= {"boundary layer", "pressure gradient", "laminar"}
    assert "boundary layer" in frequent


def test_min_longer_than_max_is_a_config_error(build):
    with pytest.raises(PluginError, match="min_length must not exceed max_length"):
        build("rake", min_length=3, max_length=2)


def test_numbers_and_stopwords_only(one):
    assert one("rake", "1 2 3 and of the 42")["keywords"] == []
