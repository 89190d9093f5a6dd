"""TFIDFExtractor: term weights with document frequency over the chunks of one file."""

from __future__ import annotations

import math

import pytest

from llamafarm_core.errors import PluginError
from llamafarm_core.testing.extractors import ExtractorContract


class TestTfidfContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("TFIDFExtractor", max_keywords=6)

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [aero_text, fda_text, aero_text[:200]]

    @pytest.fixture
    def expected_keys(self):
        return {"keywords", "tfidf_keywords"}


CHUNKS = [
    "Wing flutter. Wing flutter tests. Common term.",
    "Shock waves. Shock waves at Mach two. Common term.",
]


def test_idf_is_over_the_files_chunks(run):
    first, second = run("tfidf", CHUNKS, ngram_range=[1, 1], min_keyword_length=1)
    assert first.metadata["keywords"][:2] == ["wing", "flutter"]
    assert second.metadata["keywords"][:2] == ["shock", "waves"]
    scores = dict(first.metadata["tfidf_keywords"])
    # tf(wing)=2/7, idf = ln(3/2)+1; tf(common)=1/7, idf = ln(3/3)+1
    assert scores["wing"] == pytest.approx(2 / 7 * (math.log(3 / 2) + 1), abs=1e-6)
    assert scores["common"] == pytest.approx(1 / 7, abs=1e-6)


def test_max_df_drops_terms_in_every_chunk(run):
    first, _ = run("tfidf", CHUNKS, max_df=0.5)
    assert "common" not in first.metadata["keywords"]
    assert "common term" not in first.metadata["keywords"]


def test_bigrams_and_max_features(run):
    [chunk] = run("tfidf", [CHUNKS[0]], ngram_range=[2, 2], max_features=1)
    assert chunk.metadata["keywords"] == ["wing flutter"]


def test_bad_ngram_range(build):
    with pytest.raises(PluginError, match="ngram_range"):
        build("tfidf", ngram_range=[3, 1])
