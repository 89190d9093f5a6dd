"""TF-IDF keywords, with document frequencies counted over the chunks of the same file."""

from __future__ import annotations

import math
from collections import Counter

from pydantic import Field, model_validator

from llamafarm_core.plugin_api import Chunk, Extractor, SourceFile

from ._base import KeywordOptions, Scored, keyword_metadata
from ._text import ngrams, phrase_runs


class TfidfConfig(KeywordOptions):
    ngram_range: tuple[int, int] = Field(default=(1, 2), description="Shortest and longest n-gram, in words.")
    min_df: int = Field(
        default=1, ge=1, description="Keep terms found in at least this many chunks of the file."
    )
    max_df: float = Field(
        default=1.0,
        gt=0,
        description="Drop terms found in more than this share (≤1.0) or number (>1) of the file's chunks.",
    )
    max_features: int | None = Field(
        default=None, ge=1, description="The original's name for max_keywords; wins if set."
    )

    @model_validator(mode="after")
    def _check(self) -> TfidfConfig:
        low, high = self.ngram_range
        if not 1 <= low <= high:
            raise ValueError("ngram_range must be [min, max] with 1 <= min <= max")
        if self.max_features is not None:
            self.max_keywords = self.max_features
        return self


def tfidf(texts: list[str], cfg: TfidfConfig) -> list[Scored]:
    """For each text, (term, tf·idf) best first. tf is the term's share of the text's terms;
    idf = ln((1 + N) / (1 + df)) + 1 over the N texts (smoothed, as scikit-learn does)."""
    low, high = cfg.ngram_range
    counts = [Counter(ngrams(phrase_runs(text), low, high)) for text in texts]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    n = len(texts)
    max_docs = cfg.max_df * n if cfg.max_df <= 1.0 else cfg.max_df
    idf = {
        term: math.log((1 + n) / (1 + d)) + 1
        for term, d in df.items()
        if d >= cfg.min_df and d <= max_docs and len(term) >= cfg.min_keyword_length
    }
    out = []
    for c in counts:
        total = sum(c.values()) or 1
        scored = [(term, tf / total * idf[term]) for term, tf in c.items() if term in idf]
        scored.sort(key=lambda ts: -ts[1])  # stable: ties keep first appearance
        out.append(scored[: cfg.max_keywords])
    return out


class TFIDFExtractor(Extractor[TfidfConfig]):
    """Adds ``keywords`` (best first) and ``tfidf_keywords`` ([[term, score]], higher is
    better). The IDF is computed over the chunks of one file, so a term that is in every
    chunk counts less than one particular to this chunk."""

    name = "tfidf"
    aliases = ("TFIDFExtractor", "TfidfExtractor", "tfidf_extractor")
    description = "TF-IDF keywords per chunk (IDF over the file's chunks)."

    def extract(self, chunks: list[Chunk], source: SourceFile) -> None:
        for chunk, scored in zip(chunks, tfidf([c.text or "" for c in chunks], self.config), strict=True):
            chunk.metadata.update(keyword_metadata("tfidf_keywords", scored, digits=6))
