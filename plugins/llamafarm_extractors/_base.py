"""Shared bases: per-chunk extractors, keyword options and output, order-keeping dedup."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import Chunk, ConfigT, Extractor, PluginConfig, SourceFile


class ChunkwiseExtractor(Extractor[ConfigT]):
    """Implements :meth:`extract` by merging :meth:`extract_text` of each chunk into its metadata."""

    def extract(self, chunks: list[Chunk], source: SourceFile) -> None:
        for chunk in chunks:
            chunk.metadata.update(self.extract_text(chunk.text or ""))

    @abstractmethod
    def extract_text(self, text: str) -> dict[str, Any]:
        """The metadata keys for one chunk's text (JSON values only)."""


def unique(values: list[str]) -> list[str]:
    """``values`` without repeats, first occurrence kept (deterministic order)."""
    return list(dict.fromkeys(values))


class KeywordOptions(PluginConfig):
    """Options every keyword algorithm shares."""

    max_keywords: int = Field(default=10, ge=1, le=200, description="How many keywords to keep per chunk.")
    min_keyword_length: int = Field(
        default=3, ge=1, description="Drop keywords shorter than this (characters)."
    )


Scored = list[tuple[str, float]]


def keyword_metadata(key: str, scored: Scored, digits: int = 4) -> dict[str, Any]:
    """``keywords`` (best first) and ``<key>`` as [[keyword, score], ...]."""
    return {"keywords": [k for k, _ in scored], key: [[k, round(s, digits)] for k, s in scored]}
