"""YAKEExtractor: statistical single-document keywords, lower score is better."""

from __future__ import annotations

from difflib import SequenceMatcher

import pytest
from llamafarm_extractors.yake import YakeConfig, yake

from llamafarm_core.testing.extractors import ExtractorContract


class TestYakeContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("YAKEExtractor", max_keywords=8)

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [aero_text, fda_text]

    @pytest.fixture
    def expected_keys(self):
        return {"keywords", "yake_keywords"}


def test_boundary_layer_is_the_top_keyword(one, aero_text):
    meta = one("yake", aero_text)
    assert meta["keywords"][0] == "boundary layer"
    scores = [s for _, s in meta["yake_keywords"]]
    assert scores == sorted(scores)  # ascending: lower is better
    assert all(s > 0 for s in scores)


def test_capitalised_terms_rank_higher_than_plain_ones():
    text = (
        "The NASA team tested the wing. A second team tested the tail. The NASA report covers "
        "the wing and the tail. Engineers at NASA reviewed the report."
    )
    ranked = [k for k, _ in yake(text, YakeConfig(max_ngram_size=1, max_keywords=10))]
    assert ranked.index("nasa") < ranked.index("tail")


def test_keywords_never_start_or_end_with_stopwords(one, fda_text):
    from llamafarm_extractors._text import STOPWORDS

    for kw in one("yake", fda_text, max_keywords=20)["keywords"]:
        words = kw.split()
        assert words[0] not in STOPWORDS and words[-1] not in STOPWORDS, kw


def test_ngram_size_and_deduplication(one, aero_text):
    unigrams = one("yake", aero_text, max_ngram_size=1)["keywords"]
    assert all(" " not in k for k in unigrams)
    strict = one("yake", aero_text, deduplication_threshold=0.5, max_keywords=100)["keywords"]
    loose = one("yake", aero_text, deduplication_threshold=1.0, max_keywords=100)["keywords"]
    assert len(strict) < len(loose)
    assert "boundary" in loose and "boundary" not in strict  # too close to "boundary layer"
    assert all(SequenceMatcher(None, a, b).ratio() < 0.5 for i, a in enumerate(strict) for b in strict[:i])


def test_single_word_text(one):
    assert one("yake", "Aerodynamics")["keywords"] == ["aerodynamics"]
