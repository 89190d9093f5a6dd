"""What the built-in parsers share: config checks, the empty-file rule, strategy fallback,
and turning text plus positional regions (pages, sections) into chunks."""

from __future__ import annotations

import bisect
import io
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import field_validator
from typing_extensions import TypeVar

from llamafarm_core.plugin_api import (
    Chunk,
    DecodedText,
    Heading,
    ParseFailed,
    Parser,
    ParserConfig,
    ParseResult,
    SourceFile,
    TextChunk,
    base_name,
    canonical_encoding,
    chunk_text,
    decode_text,
    extension,
    markdown_headings,
    resolve_strategy,
    validate_strategy,
)


class BuiltinParserConfig(ParserConfig):
    """:class:`ParserConfig` plus checks: a known ``chunk_strategy`` and a real ``encoding``."""

    @field_validator("chunk_strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        return validate_strategy(value)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            canonical_encoding(value)
        return value


@dataclass(frozen=True)
class Region:
    """Metadata that applies from ``start`` until the next region (a page, a section)."""

    start: int
    metadata: dict[str, Any] = field(default_factory=dict)


class RegionIndex:
    """Finds the region containing an offset."""

    def __init__(self, regions: Sequence[Region]) -> None:
        self.regions = sorted(regions, key=lambda r: r.start)
        self._starts = [r.start for r in self.regions]

    def at(self, offset: int) -> Region | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self.regions[i] if i >= 0 else None

    def metadata_at(self, offset: int) -> dict[str, Any]:
        region = self.at(offset)
        return dict(region.metadata) if region else {}


def heading_regions(headings: Sequence[Heading]) -> list[Region]:
    """Regions with ``heading``, ``heading_level`` and ``section`` (the heading path, ``A > B``)."""
    stack: list[Heading] = []
    regions = []
    for h in headings:
        while stack and stack[-1].level >= h.level:
            stack.pop()
        stack.append(h)
        regions.append(
            Region(
                h.start,
                {"heading": h.title, "heading_level": h.level, "section": " > ".join(s.title for s in stack)},
            )
        )
    return regions


@dataclass(frozen=True)
class Block:
    """A paragraph-level piece of a structured document; ``heading_level`` when it is a heading."""

    text: str
    heading_level: int | None = None


def assemble_blocks(blocks: Sequence[Block]) -> tuple[str, list[Heading]]:
    """Join blocks with blank lines; return the text and where its headings start."""
    parts: list[str] = []
    headings: list[Heading] = []
    offset = 0
    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if parts:
            offset += 2
        if block.heading_level is not None:
            headings.append(Heading(offset, block.heading_level, " ".join(text.split())))
        parts.append(text)
        offset += len(text)
    return "\n\n".join(parts), headings


# Office files are zip archives: a few kilobytes can declare gigabytes of XML.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


def check_archive(data: bytes, name: str, limit: int = MAX_UNPACKED_BYTES) -> None:
    """ParseFailed when the zip archive ``data`` would unpack to more than ``limit`` bytes
    (the sizes its directory declares; zipfile never reads a member past its declared size)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: the format's own reader says what is wrong
    if total > limit:
        raise ParseFailed(
            f"{name} would unpack to {total / 2**20:,.0f} MiB, more than the "
            f"{limit / 2**20:,.0f} MiB allowed for one document (a zip bomb?)"
        )


BuiltinConfigT = TypeVar("BuiltinConfigT", bound=BuiltinParserConfig, default=BuiltinParserConfig, covariant=True)


class BuiltinParser(Parser[BuiltinConfigT]):
    """Base of the built-in parsers: subclasses implement :meth:`parse_data`.

    ``strategies`` are the chunk strategies the parser implements; the config's default
    ``chunk_strategy`` is used when the requested one doesn't apply (with a warning).
    """

    Config: ClassVar[type[ParserConfig]] = BuiltinParserConfig
    strategies: ClassVar[tuple[str, ...]] = ("characters", "sentences", "paragraphs", "sections")

    @classmethod
    def default_strategy(cls) -> str:
        return str(cls.Config.model_fields["chunk_strategy"].default)

    def parse(self, source: SourceFile) -> ParseResult:
        data = source.read_bytes()
        name = base_name(source.filename)
        if not data:
            raise ParseFailed(f"empty file: {name} is 0 bytes")
        choice = resolve_strategy(
            self.config.chunk_strategy, self.strategies, self.default_strategy(), parser=self.name
        )
        try:
            result = self.parse_data(data, source, choice.strategy)
        except ParseFailed:
            raise
        except Exception as err:  # a library choking on odd input fails this file only
            raise ParseFailed(
                f"{name} could not be read by the {self.name} parser ({type(err).__name__}: {err})"
            ) from err
        chunks = [c for c in result.chunks if c.text.strip()]
        if not chunks:
            raise ParseFailed(f"no text found in {name}")
        warnings = ([choice.warning] if choice.warning else []) + result.warnings
        return ParseResult(chunks, warnings, result.metadata)

    @abstractmethod
    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        """Parse non-empty ``data`` with the resolved ``strategy``."""

    # helpers for subclasses

    def decode(self, data: bytes, source: SourceFile, encoding: str | None = None) -> DecodedText:
        return decode_text(data, encoding or self.config.encoding, what=base_name(source.filename))

    @staticmethod
    def extension_of(source: SourceFile) -> str:
        return extension(source.filename)

    def text_chunks(
        self,
        text: str,
        strategy: str,
        regions: Sequence[Region] = (),
        *,
        extra: Callable[[TextChunk], dict[str, Any]] | None = None,
        headings_as_sections: bool = True,
    ) -> list[Chunk]:
        """Chunk ``text`` and give each chunk the metadata of the region its content starts in.

        For ``sections``/``pages`` the regions are hard boundaries. Without regions,
        markdown-style headings become section regions when ``headings_as_sections``.
        """
        if not regions and headings_as_sections:
            regions = heading_regions(markdown_headings(text))
        index = RegionIndex(regions)
        boundaries = [r.start for r in index.regions] if strategy in ("sections", "pages") else None
        size, overlap = self.config.chunk_size, self.config.chunk_overlap
        chunks = []
        for tc in chunk_text(text, strategy, size, overlap, boundaries=boundaries):
            metadata = index.metadata_at(tc.content_start)
            if extra is not None:
                metadata.update(extra(tc))
            chunks.append(Chunk(tc.text, metadata))
        return chunks
