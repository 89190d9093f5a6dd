"""RAKE keywords (Rose et al., 2010): stopword-delimited phrases scored by word degree/frequency."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import Field, model_validator

from ._base import ChunkwiseExtractor, KeywordOptions, Scored, keyword_metadata
from ._text import phrase_runs


class RakeConfig(KeywordOptions):
    min_length: int = Field(default=1, ge=1, description="Fewest words in a keyword phrase.")
    max_length: int = Field(
        default=4, ge=1, description="Most words in a keyword phrase (longer runs are dropped)."
    )
    min_frequency: int = Field(
        default=1, ge=1, description="Keep phrases seen at least this often in the chunk."
    )

    @model_validator(mode="after")
    def _lengths(self) -> RakeConfig:
        if self.min_length > self.max_length:
            raise ValueError("min_length must not exceed max_length")
        return self


def rake(text: str, cfg: RakeConfig) -> Scored:
    """(phrase, score) best first. A word's score is degree/frequency, where its degree adds
    the length of every candidate phrase it occurs in; a phrase scores the sum of its words.
    Ties keep the order of first appearance."""
    phrases = [run for run in phrase_runs(text) if cfg.min_length <= len(run) <= cfg.max_length]
    freq: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for run in phrases:
        for word in run:
            freq[word] += 1
            degree[word] += len(run)
    counts: Counter[str] = Counter(" ".join(run) for run in phrases)
    scored = [
        (phrase, sum(degree[w] / freq[w] for w in phrase.split()))
        for phrase, n in counts.items()  # insertion order = first appearance
        if n >= cfg.min_frequency and len(phrase) >= cfg.min_keyword_length
    ]
    scored.sort(key=lambda ps: -ps[1])
    return scored[: cfg.max_keywords]


class RAKEExtractor(ChunkwiseExtractor[RakeConfig]):
    """Adds ``keywords`` (phrases, best first) and ``rake_keywords`` ([[phrase, score]],
    higher is better)."""

    name = "rake"
    aliases = ("RAKEExtractor", "RakeExtractor", "rake_extractor")
    description = "RAKE key phrases per chunk."

    def extract_text(self, text: str) -> dict[str, Any]:
        return keyword_metadata("rake_keywords", rake(text, self.config))
