"""SummaryExtractor: top sentences by score, kept in document order."""

from __future__ import annotations

import pytest
from llamafarm_extractors._text import split_sentences

from llamafarm_core.errors import PluginError
from llamafarm_core.testing.extractors import ExtractorContract


class TestSummaryContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("SummaryExtractor", summary_sentences=2)

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [fda_text, aero_text]

    @pytest.fixture
    def expected_keys(self):
        return {"summary"}


TEXT = (
    "Wing flutter is a dangerous aeroelastic instability. "
    "The weather was pleasant on the day of the visit. "
    "Flutter of the wing couples bending and torsion of the wing. "
    "Lunch was served at noon. "
    "Wing flutter tests measure the flutter speed of each wing."
)


@pytest.mark.parametrize("method", ["frequency", "combined", "textrank"])
def test_picks_the_on_topic_sentences_in_order(one, method):
    summary = one("summary", TEXT, summary_sentences=2, scoring_method=method)["summary"]
    sentences = split_sentences(summary)
    assert len(sentences) == 2
    assert all("flutter" in s.lower() for s in sentences)
    assert [TEXT.index(s) for s in sentences] == sorted(TEXT.index(s) for s in sentences)


def test_position_takes_the_first_sentences(one):
    summary = one("summary", TEXT, max_sentences=2, scoring_method="position")["summary"]
    assert summary == " ".join(split_sentences(TEXT)[:2])


def test_short_text_is_its_own_summary(one):
    assert one("summary", "Only one sentence here.")["summary"] == "Only one sentence here."


def test_length_limits(one):
    assert one("summary", "Tiny. Small. Wee.", min_sentence_length=10)["summary"] == ""
    long_sentence = "word " * 200 + "end."
    meta = one("summary", long_sentence + " A normal sentence is here.", max_sentence_length=100)
    assert meta["summary"] == "A normal sentence is here."


def test_textrank_on_many_sentences_stays_fast(one):
    text = " ".join(f"Sentence number {i} talks about topic {i % 7} and wings." for i in range(1000))
    assert len(split_sentences(one("summary", text, scoring_method="textrank")["summary"])) == 3


def test_bad_config(build):
    with pytest.raises(PluginError, match="summary_sentences"):
        build("summary", summary_sentences=0)
    with pytest.raises(PluginError, match="scoring_method"):
        build("summary", scoring_method="llm")


def test_original_keys_accepted(build):
    build("SummaryExtractor", include_key_phrases=True, include_statistics=True)
