"""Parsers turn a stored file into chunks."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from pydantic import Field, model_validator
from typing_extensions import TypeVar

from llamafarm_core.components.base import Component, PluginConfig
from llamafarm_core.documents import ParseResult, SourceFile


class ParserConfig(PluginConfig):
    """Options every parser understands. Parsers subclass this to add their own."""

    chunk_size: int = Field(1000, gt=0, description="Target chunk length in characters.")
    chunk_overlap: int = Field(100, ge=0, description="Characters shared by consecutive chunks.")
    chunk_strategy: str = Field(
        "characters", description="characters, sentences, paragraphs, sections or rows."
    )
    extract_metadata: bool = True
    encoding: str | None = Field(None, description="Text encoding; detected when not given.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ParserConfig:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})"
            )
        return self


ParserConfigT = TypeVar("ParserConfigT", bound=ParserConfig, default=ParserConfig, covariant=True)


class Parser(Component[ParserConfigT]):
    """Reads one file and returns its chunks in document order.

    ``extensions`` are the file extensions (``.pdf``) it takes when a strategy gives no
    ``file_include_patterns``. Raise :class:`llamafarm_core.errors.ParseFailed` with a reason
    the user can act on when the file can't be read; the pipeline then tries the next parser.
    """

    Config: ClassVar[type[ParserConfig]] = ParserConfig
    extensions: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def parse(self, source: SourceFile) -> ParseResult: ...
