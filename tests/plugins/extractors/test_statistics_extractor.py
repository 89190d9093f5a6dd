"""ContentStatisticsExtractor: counts, reading time, Flesch readability, structure."""

from __future__ import annotations

import pytest

from llamafarm_core.testing.extractors import ExtractorContract

MARKDOWN = """\
# Guide

Intro paragraph with two sentences. It is short.

## Steps

- first item
- second item
1. numbered item

```python
print("hi")
```

| a | b |
|---|---|
| 1 | 2 |
"""


class TestStatisticsContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("ContentStatisticsExtractor", include_readability=True, include_structure=True)

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [fda_text, aero_text]

    @pytest.fixture
    def expected_keys(self):
        return {
            "word_count", "char_count", "sentence_count", "paragraph_count", "avg_words_per_sentence",
            "reading_time_seconds", "flesch_reading_ease", "flesch_kincaid_grade", "structure", "vocabulary",
        }  # fmt: skip


def test_counts(one):
    meta = one("statistics", "The cat sat on the mat. The dog ran away! Did it rain?\n\nNew paragraph here.")
    assert meta["word_count"] == 16
    assert meta["sentence_count"] == 4
    assert meta["paragraph_count"] == 2
    assert meta["char_count"] == len(
        "The cat sat on the mat. The dog ran away! Did it rain?\n\nNew paragraph here."
    )
    assert meta["avg_words_per_sentence"] == 4.0
    assert meta["reading_time_seconds"] == 4.8  # 16 words at 200 wpm


def test_reading_speed_option(one):
    meta = one("statistics", "word " * 300, reading_speeds={"average": 100})
    assert meta["reading_time_seconds"] == 180.0


def test_abbreviations_do_not_end_sentences(one):
    meta = one(
        "statistics", "Dr. Smith met Mr. Jones at 3 p.m. in the U.S. office. They talked, e.g. about Fig. 2."
    )
    assert meta["sentence_count"] == 2


def test_readability_orders_simple_above_complex(one):
    simple = one("statistics", "The cat sat. The dog ran. We had fun. It was hot. I like it.")
    hard = one(
        "statistics",
        "Comprehensive pharmacokinetic characterisation necessitates multidisciplinary "
        "investigational methodologies incorporating sophisticated computational approximations.",
    )
    assert simple["flesch_reading_ease"] > 90 > 0 > hard["flesch_reading_ease"]
    assert simple["flesch_kincaid_grade"] < 2 < 20 < hard["flesch_kincaid_grade"]
    assert simple["readability_level"] == "very easy"
    assert hard["readability_level"] == "very difficult"


def test_structure_counts(one):
    structure = one("statistics", MARKDOWN)["structure"]
    assert structure == {"paragraphs": 6, "headings": 2, "list_items": 3, "code_blocks": 1, "tables": 1}


def test_options_switch_groups_off(one, fda_text):
    meta = one(
        "statistics", fda_text, include_readability=False, include_structure=False, include_vocabulary=False
    )
    assert "flesch_reading_ease" not in meta
    assert "structure" not in meta
    assert "vocabulary" not in meta
    assert meta["word_count"] > 50


def test_vocabulary(one):
    vocab = one("statistics", "Apple apple APPLE pear")["vocabulary"]
    assert vocab == {"unique_words": 2, "lexical_diversity": 0.5, "avg_word_length": 4.75}


def test_empty_text_has_no_readability(one):
    meta = one("statistics", "")
    assert meta["word_count"] == 0
    assert meta["flesch_reading_ease"] is None
