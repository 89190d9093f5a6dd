"""The umbrella keyword extractor: one algorithm, or several fused by reciprocal rank."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field, model_validator

from llamafarm_core.plugin_api import Chunk, Extractor, SourceFile

from ._base import KeywordOptions, Scored, keyword_metadata
from ._text import ngrams, phrase_runs
from .rake import RakeConfig, rake
from .tfidf import TfidfConfig, tfidf
from .yake import YakeConfig, yake

Algorithm = Literal["rake", "yake", "tfidf", "frequency"]
_RRF_K = 60  # the usual reciprocal-rank-fusion constant


class KeywordConfig(KeywordOptions):
    algorithm: Algorithm | None = Field(
        default=None, description="One algorithm (default yake). Or use 'methods'."
    )
    methods: list[Algorithm] | None = Field(
        default=None, min_length=1, description="Several algorithms, fused."
    )
    combine_results: bool = Field(
        default=True, description="With several methods, fuse their rankings into 'keywords'."
    )
    max_combined_keywords: int | None = Field(
        default=None, ge=1, description="The original's name for max_keywords."
    )
    ngram_range: tuple[int, int] = Field(default=(1, 2), description="n-gram sizes for 'frequency'.")
    rake_config: RakeConfig | None = None
    yake_config: YakeConfig | None = None
    tfidf_config: TfidfConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> KeywordConfig:
        if self.algorithm and self.methods:
            raise ValueError("set either 'algorithm' or 'methods', not both")
        if self.max_combined_keywords is not None:
            self.max_keywords = self.max_combined_keywords
        low, high = self.ngram_range
        if not 1 <= low <= high:
            raise ValueError("ngram_range must be [min, max] with 1 <= min <= max")
        return self

    def chosen(self) -> list[str]:
        return list(dict.fromkeys(self.methods or [self.algorithm or "yake"]))

    def sub_config(self, name: str) -> Any:
        """An algorithm's options: its own block if given, else this config's shared options."""
        shared = {"max_keywords": self.max_keywords, "min_keyword_length": self.min_keyword_length}
        given = {"rake": self.rake_config, "yake": self.yake_config, "tfidf": self.tfidf_config}[name]
        model = {"rake": RakeConfig, "yake": YakeConfig, "tfidf": TfidfConfig}[name]
        return given if given is not None else model(**shared)


def frequency(text: str, ngram_range: tuple[int, int], cfg: KeywordOptions) -> Scored:
    """Content-word n-grams by how often they occur; ties keep first appearance."""
    counts = Counter(ngrams(phrase_runs(text), *ngram_range))
    scored = [(t, float(n)) for t, n in counts.items() if len(t) >= cfg.min_keyword_length]
    scored.sort(key=lambda ts: -ts[1])
    return scored[: cfg.max_keywords]


def fuse(rankings: list[Scored], limit: int) -> list[str]:
    """Reciprocal rank fusion: sum of 1/(k + rank) over the rankings a keyword is in."""
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, (kw, _) in enumerate(ranking, start=1):
            score[kw] = score.get(kw, 0.0) + 1 / (_RRF_K + rank)
    return sorted(score, key=lambda kw: -score[kw])[:limit]


class KeywordExtractor(Extractor[KeywordConfig]):
    """Adds ``keywords`` and, for each algorithm run, ``<algorithm>_keywords``
    ([[keyword, score]]; rake/tfidf/frequency: higher is better; yake: lower is better).

    ``algorithm`` picks one of rake, yake (default), tfidf, frequency; ``methods`` (the
    original's option) runs several, and ``keywords`` then fuses their rankings by
    reciprocal rank (or is the first method's list when ``combine_results`` is false).
    """

    name = "keywords"
    aliases = ("KeywordExtractor", "keyword_extractor")
    description = "Keywords by RAKE, YAKE, TF-IDF or frequency (or several, fused)."

    def _rank(self, method: str, texts: list[str], depth: int) -> tuple[list[Scored], int]:
        """Each text's ranking by ``method``, at least ``depth`` long, and the method's own limit."""
        cfg = self.config
        options: KeywordOptions = cfg if method == "frequency" else cfg.sub_config(method)
        wide: Any = options.model_copy(update={"max_keywords": max(options.max_keywords, depth)})
        if method == "frequency":
            return [frequency(t, cfg.ngram_range, wide) for t in texts], options.max_keywords
        if method == "tfidf":
            return tfidf(texts, wide), options.max_keywords
        algorithm = rake if method == "rake" else yake
        return [algorithm(t, wide) for t in texts], options.max_keywords

    def extract(self, chunks: list[Chunk], source: SourceFile) -> None:
        cfg = self.config
        texts = [c.text or "" for c in chunks]
        methods = cfg.chosen()
        # Fusion looks deeper than each method's own list, so a keyword ranked 6th by one
        # method and 1st by another still counts for both.
        depth = 3 * cfg.max_keywords if len(methods) > 1 else 0
        ranked = {method: self._rank(method, texts, depth) for method in methods}
        for i, chunk in enumerate(chunks):
            out: dict[str, Any] = {}
            for method, (results, limit) in ranked.items():
                out.update(keyword_metadata(f"{method}_keywords", results[i][:limit], 6))
            if len(ranked) > 1:
                rankings = [results[i] for results, _ in ranked.values()]
                out["keywords"] = (
                    fuse(rankings, cfg.max_keywords)
                    if cfg.combine_results
                    else [k for k, _ in rankings[0]][: cfg.max_keywords]
                )
            chunk.metadata.update(out)
