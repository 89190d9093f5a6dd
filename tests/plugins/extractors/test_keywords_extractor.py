"""KeywordExtractor: the umbrella over rake, yake, tfidf and frequency."""

from __future__ import annotations

import pytest

from llamafarm_core.errors import PluginError
from llamafarm_core.testing.extractors import ExtractorContract


class TestKeywordsContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("KeywordExtractor", methods=["rake", "yake", "tfidf"], max_keywords=8)

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [aero_text, fda_text]

    @pytest.fixture
    def expected_keys(self):
        return {"keywords", "rake_keywords", "yake_keywords", "tfidf_keywords"}


def test_default_is_yake(one, aero_text):
    meta = one("keywords", aero_text)
    assert set(meta) >= {"keywords", "yake_keywords"}
    assert "rake_keywords" not in meta
    assert meta["keywords"][0] == "boundary layer"


@pytest.mark.parametrize("algorithm", ["rake", "yake", "tfidf", "frequency"])
def test_each_algorithm(one, aero_text, algorithm):
    meta = one("keywords", aero_text, algorithm=algorithm, max_keywords=5)
    assert len(meta["keywords"]) == 5
    assert [k for k, _ in meta[f"{algorithm}_keywords"]] == meta["keywords"]
    assert any("boundary" in k for k in meta["keywords"])


def test_frequency_counts(one):
    meta = one(
        "keywords", "Flutter flutter flutter. Wing wing. Tail.", algorithm="frequency", ngram_range=[1, 1]
    )
    assert meta["frequency_keywords"] == [["flutter", 3.0], ["wing", 2.0], ["tail", 1.0]]


def test_fusion_prefers_keywords_ranked_well_by_all(one, aero_text):
    meta = one("keywords", aero_text, methods=["rake", "yake"], max_keywords=5)
    assert meta["keywords"][0] == "boundary layer"
    assert len(meta["keywords"]) == 5
    uncombined = one("keywords", aero_text, methods=["rake", "yake"], combine_results=False)
    assert uncombined["keywords"] == [k for k, _ in uncombined["rake_keywords"]]


def test_original_option_blocks(one, aero_text):
    meta = one(
        "keywords",
        aero_text,
        methods=["rake", "tfidf"],
        max_combined_keywords=4,
        rake_config={"max_length": 2, "max_keywords": 3},
        tfidf_config={"max_features": 2, "ngram_range": [1, 3]},
    )
    assert len(meta["keywords"]) == 4
    assert len(meta["rake_keywords"]) == 3 and len(meta["tfidf_keywords"]) == 2


def test_algorithm_and_methods_together_is_an_error(build):
    with pytest.raises(PluginError, match="either 'algorithm' or 'methods'"):
        build("keywords", algorithm="rake", methods=["yake"])


def test_unknown_algorithm_is_an_error(build):
    with pytest.raises(PluginError, match=r"config\.algorithm"):
        build("keywords", algorithm="bert")
