"""The shared text helpers: sentences, words, syllables, phrase runs."""

from __future__ import annotations

import pytest
from llamafarm_extractors._text import ngrams, phrase_runs, split_sentences, syllables, words


def test_sentences():
    text = 'He said "stop." Then he left! Did Dr. J. Smith agree? Yes, e.g. on Fig. 3 of the U.S. report.'
    assert split_sentences(text) == [
        'He said "stop."',
        "Then he left!",
        "Did Dr. J. Smith agree?",
        "Yes, e.g. on Fig. 3 of the U.S. report.",
    ]


def test_sentences_in_lower_case_and_across_lines():
    text = "an experimental study was\nmade .  the results were\nintended as a basis .\n\n# Heading\n- item one\n- item two"
    assert split_sentences(text) == [
        "an experimental study was made .",
        "the results were intended as a basis .",
        "# Heading",
        "- item one",
        "- item two",
    ]


def test_numbers_do_not_split():
    assert split_sentences("Pi is 3.14 roughly. Version 2.0 ships.") == [
        "Pi is 3.14 roughly.",
        "Version 2.0 ships.",
    ]


def test_words():
    assert words("Don't split the U.S. or state-of-the-art 3.5 things_here!") == [
        "Don't", "split", "the", "U.S", "or", "state-of-the-art", "3.5", "things", "here",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("cat", 1),
        ("table", 2),
        ("make", 1),
        ("jumped", 1),
        ("wanted", 2),
        ("aerodynamics", 5),
        ("boundary", 3),
        ("the", 1),
        ("42", 1),
    ],
)
def test_syllables(word, count):
    assert syllables(word) == count


def test_phrase_runs_and_ngrams():
    runs = phrase_runs("The boundary layer, at 3 points, of the flat plate.")
    assert runs == [["boundary", "layer"], ["points"], ["flat", "plate"]]
    assert ngrams(runs, 1, 2) == [
        "boundary",
        "layer",
        "boundary layer",
        "points",
        "flat",
        "plate",
        "flat plate",
    ]
