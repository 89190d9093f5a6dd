"""Extractive summary: the best-scoring sentences of each chunk, in their original order."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Literal

from pydantic import Field, model_validator

from llamafarm_core.plugin_api import PluginConfig

from ._base import ChunkwiseExtractor
from ._text import STOPWORDS, is_number, split_sentences, words

_TEXTRANK_MAX_SENTENCES = 300  # TextRank is quadratic in sentences; past this, use frequency


class SummaryConfig(PluginConfig):
    summary_sentences: int = Field(default=3, ge=1, le=50, description="Sentences in the summary.")
    max_sentences: int | None = Field(
        default=None, ge=1, le=50, description="Another name for summary_sentences; wins."
    )
    min_sentence_length: int = Field(default=10, ge=1, description="Skip shorter sentences (characters).")
    max_sentence_length: int = Field(default=500, ge=10, description="Skip longer sentences (characters).")
    scoring_method: Literal["frequency", "position", "combined", "textrank"] = "combined"

    @model_validator(mode="after")
    def _alias(self) -> SummaryConfig:
        if self.max_sentences is not None:
            self.summary_sentences = self.max_sentences
        if self.min_sentence_length > self.max_sentence_length:
            raise ValueError("min_sentence_length must not exceed max_sentence_length")
        return self


def _content(sentence: str) -> list[str]:
    return [w for w in (x.lower() for x in words(sentence)) if w not in STOPWORDS and not is_number(w)]


def frequency_scores(bags: list[list[str]]) -> list[float]:
    """Mean weight of a sentence's content words, a word weighing its count / the top count."""
    counts = Counter(w for bag in bags for w in bag)
    top = max(counts.values(), default=1)
    return [sum(counts[w] for w in bag) / (top * len(bag)) if bag else 0.0 for bag in bags]


def textrank_scores(bags: list[list[str]], iterations: int = 30, damping: float = 0.85) -> list[float]:
    """PageRank over sentences linked by word overlap / (log|a| + log|b|) (Mihalcea & Tarau)."""
    n = len(bags)
    sets = [set(b) for b in bags]
    weights = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            overlap = len(sets[i] & sets[j])
            if overlap and len(sets[i]) > 1 and len(sets[j]) > 1:
                w = overlap / (math.log(len(sets[i])) + math.log(len(sets[j])))
                weights[i][j] = weights[j][i] = w
    out_sum = [sum(row) for row in weights]
    rank = [1.0] * n
    for _ in range(iterations):
        rank = [
            (1 - damping)
            + damping * sum(weights[j][i] * rank[j] / out_sum[j] for j in range(n) if weights[j][i])
            for i in range(n)
        ]
    return rank


def summarise(text: str, cfg: SummaryConfig) -> list[str]:
    """The chosen sentences, in document order."""
    sentences = [
        s for s in split_sentences(text) if cfg.min_sentence_length <= len(s) <= cfg.max_sentence_length
    ]
    if len(sentences) <= cfg.summary_sentences:
        return sentences
    bags = [_content(s) for s in sentences]
    method = cfg.scoring_method
    if method == "textrank" and len(sentences) > _TEXTRANK_MAX_SENTENCES:
        method = "frequency"
    position = [1 / (1 + i) for i in range(len(sentences))]
    if method == "textrank":
        scores = textrank_scores(bags)
    elif method == "position":
        scores = position
    else:
        freq = frequency_scores(bags)
        scores = (
            freq
            if method == "frequency"
            else [0.7 * f + 0.3 * p for f, p in zip(freq, position, strict=True)]
        )
    best = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[: cfg.summary_sentences]
    return [sentences[i] for i in sorted(best)]


class SummaryExtractor(ChunkwiseExtractor[SummaryConfig]):
    """Adds ``summary``: the chunk's top ``summary_sentences`` sentences joined by spaces, in
    their original order ('' when no sentence fits the length limits).

    Scoring: ``frequency`` (how common the sentence's content words are in the chunk),
    ``position`` (earlier first), ``combined`` (0.7 frequency + 0.3 position; default) or
    ``textrank`` (PageRank over word overlap; frequency above 300 sentences).
    """

    name = "summary"
    aliases = ("SummaryExtractor", "summary_extractor")
    description = "Extractive summary sentences per chunk."
    ignored_keys = frozenset({"include_key_phrases", "include_statistics"})

    def extract_text(self, text: str) -> dict[str, Any]:
        return {"summary": " ".join(summarise(text, self.config))}
