"""Extractors add metadata keys to chunks."""

from __future__ import annotations

from abc import abstractmethod

from llamafarm_core.components.base import Component, ConfigT
from llamafarm_core.documents import Chunk, SourceFile


class Extractor(Component[ConfigT]):
    """Adds its documented metadata keys to each chunk's ``metadata``, in place."""

    @abstractmethod
    def extract(self, chunks: list[Chunk], source: SourceFile) -> None: ...
