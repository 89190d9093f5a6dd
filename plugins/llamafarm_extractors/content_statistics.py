"""Counts, reading time, Flesch readability, vocabulary and structure of each chunk."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import PluginConfig

from ._base import ChunkwiseExtractor
from ._text import paragraphs, split_sentences, syllables, words

_ATX_RE = re.compile(r" {0,3}#{1,6}\s+\S")
_SETEXT_RE = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
_LIST_ITEM_RE = re.compile(r"[ \t]*(?:[-*+•]|\d{1,3}[.)]|[a-zA-Z][.)])[ \t]+\S")
_FENCE_RE = re.compile(r"[ \t]*(?:```|~~~)")

_LEVELS = (
    (90, "very easy"),
    (80, "easy"),
    (70, "fairly easy"),
    (60, "standard"),
    (50, "fairly difficult"),
    (30, "difficult"),
)


class ReadingSpeeds(PluginConfig):
    """Words per minute; ``average`` gives ``reading_time_seconds``."""

    slow: int = Field(default=150, gt=0)
    average: int = Field(default=200, gt=0)
    fast: int = Field(default=300, gt=0)


class ContentStatisticsConfig(PluginConfig):
    include_readability: bool = True
    include_structure: bool = True
    include_vocabulary: bool = True
    reading_speeds: ReadingSpeeds = Field(default_factory=lambda: ReadingSpeeds())


def readability_level(ease: float) -> str:
    """The usual reading-ease band name of a Flesch score."""
    for floor, name in _LEVELS:
        if ease >= floor:
            return name
    return "very difficult"


def flesch(word_list: list[str], sentence_count: int) -> dict[str, Any]:
    """Flesch reading ease and Flesch–Kincaid grade (syllables by heuristic)."""
    if not word_list or not sentence_count:
        return dict.fromkeys(
            ("flesch_reading_ease", "flesch_kincaid_grade", "readability_level", "avg_syllables_per_word")
        )
    wps = len(word_list) / sentence_count
    spw = sum(syllables(w) for w in word_list) / len(word_list)
    ease = 206.835 - 1.015 * wps - 84.6 * spw
    return {
        "flesch_reading_ease": round(ease, 2),
        "flesch_kincaid_grade": round(0.39 * wps + 11.8 * spw - 15.59, 2),
        "readability_level": readability_level(ease),
        "avg_syllables_per_word": round(spw, 3),
    }


def structure(text: str, paragraph_count: int) -> dict[str, int]:
    """Headings (ATX and setext), list items, fenced code blocks and table blocks, line by line."""
    headings = list_items = fences = tables = 0
    prev = ""
    in_table = False
    for line in text.splitlines():
        stripped = line.strip()
        if _FENCE_RE.match(line):
            fences += 1
        elif _ATX_RE.match(line) or (prev and _SETEXT_RE.fullmatch(line) and not _LIST_ITEM_RE.match(prev)):
            headings += 1
        elif _LIST_ITEM_RE.match(line):
            list_items += 1
        is_table_line = len(stripped) > 1 and stripped[0] in "|+" and stripped[-1] in "|+"
        if is_table_line and not in_table:
            tables += 1
        in_table = is_table_line
        prev = stripped
    return {
        "paragraphs": paragraph_count,
        "headings": headings,
        "list_items": list_items,
        "code_blocks": (fences + 1) // 2,
        "tables": tables,
    }


class ContentStatisticsExtractor(ChunkwiseExtractor[ContentStatisticsConfig]):
    """Word, character, sentence and paragraph counts; reading time; readability; structure.

    Always: ``word_count``, ``char_count``, ``sentence_count``, ``paragraph_count``,
    ``avg_words_per_sentence``, ``reading_time_seconds``. With ``include_readability``:
    ``flesch_reading_ease``, ``flesch_kincaid_grade``, ``readability_level``,
    ``avg_syllables_per_word`` (None for empty text). With ``include_vocabulary``: ``vocabulary`` {unique_words,
    lexical_diversity, avg_word_length}. With ``include_structure``: ``structure``
    {paragraphs, headings, list_items, code_blocks, tables}.
    """

    name = "statistics"
    aliases = ("ContentStatisticsExtractor", "statistics_extractor")
    description = "Counts, reading time, Flesch readability and structure of each chunk."
    ignored_keys = frozenset({"include_sentiment_indicators", "language"})

    def extract_text(self, text: str) -> dict[str, Any]:
        cfg = self.config
        word_list = words(text)
        sentence_count = len(split_sentences(text))
        paragraph_count = len(paragraphs(text))
        out: dict[str, Any] = {
            "word_count": len(word_list),
            "char_count": len(text),
            "sentence_count": sentence_count,
            "paragraph_count": paragraph_count,
            "avg_words_per_sentence": round(len(word_list) / sentence_count, 2) if sentence_count else 0.0,
            "reading_time_seconds": round(len(word_list) * 60 / cfg.reading_speeds.average, 1),
        }
        if cfg.include_readability:
            out.update(flesch(word_list, sentence_count))
        if cfg.include_vocabulary:
            lowered = [w.lower() for w in word_list]
            unique = len(set(lowered))
            out["vocabulary"] = {
                "unique_words": unique,
                "lexical_diversity": round(unique / len(lowered), 4) if lowered else 0.0,
                "avg_word_length": round(sum(map(len, lowered)) / len(lowered), 2) if lowered else 0.0,
            }
        if cfg.include_structure:
            out["structure"] = structure(text, paragraph_count)
        return out
