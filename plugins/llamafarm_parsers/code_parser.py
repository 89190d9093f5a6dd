"""Source code: split at top-level definitions (def/class/function/...) when possible.

Each chunk carries ``language``, ``line_start``/``line_end`` (1-based, as in the file) and
``symbols`` (the top-level names whose definitions start in it).
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import (
    CODE_LEVELS,
    Chunk,
    ParseResult,
    SourceFile,
    TextChunk,
    chunk_text,
    pack,
    segments,
    split_to_fit,
    strip_trailing_space,
    trim,
)
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig
from llamafarm_parsers.code_languages import LANGUAGES, definition_patterns

# Lines that belong to the definition below them: decorators, attributes, comments.
_ATTACHED = re.compile(r"\s*(?:@|#|//|/\*|\*|--|;|\[)")


class CodeConfig(BuiltinParserConfig):
    chunk_strategy: str = Field(
        "sections",
        description="sections (default: top-level definitions packed up to chunk_size), paragraphs, characters.",
    )


class CodeParser(BuiltinParser[CodeConfig]):
    """Source files of common languages (chosen by extension); never runs or imports them."""

    name = "code"
    aliases = ("CodeParser", "CodeParser_Python")
    extensions = tuple(LANGUAGES)
    strategies = ("sections", "paragraphs", "characters")

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        decoded = self.decode(data, source)
        # Keep blank lines and indentation so line numbers match the file.
        text = strip_trailing_space(
            decoded.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        )
        language = LANGUAGES.get(self.extension_of(source), "text")
        definitions = _definitions(text, language)
        size, overlap = self.config.chunk_size, self.config.chunk_overlap
        if strategy == "sections":
            starts = [_attached_start(text, pos) for pos, _ in definitions]
            spans = [
                piece
                for seg in segments(text, starts)
                if (block := trim(text, seg.start, seg.end)).length
                for piece in (
                    [block]
                    if block.length <= size
                    else split_to_fit(text, block, size - overlap, CODE_LEVELS)
                )
            ]
            text_chunks = pack(text, spans, size, overlap)
        else:
            text_chunks = chunk_text(text, strategy, size, overlap, levels=CODE_LEVELS)
        lines = _LineIndex(text)
        chunks = [Chunk(tc.text, _metadata(tc, language, lines, definitions)) for tc in text_chunks]
        return ParseResult(chunks, list(decoded.warnings), {"language": language})


def _definitions(text: str, language: str) -> list[tuple[int, str]]:
    """``(offset, name)`` of each top-level definition, sorted, one per line."""
    found: dict[int, str] = {}
    for pattern in definition_patterns(language):
        for m in pattern.finditer(text):
            found.setdefault(m.start(), m.group(1) or "")
    return sorted(found.items())


def _attached_start(text: str, pos: int) -> int:
    """Move a definition's start up over the decorator/comment lines directly above it."""
    while pos > 0:
        prev = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev : pos - 1]
        if not line.strip() or line[:1].isspace() or not _ATTACHED.match(line):
            break
        pos = prev
    return pos


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


def _metadata(
    tc: TextChunk, language: str, lines: _LineIndex, definitions: list[tuple[int, str]]
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "language": language,
        "line_start": lines.line(tc.content_start),
        "line_end": lines.line(tc.end - 1),
    }
    symbols = [name for pos, name in definitions if tc.content_start <= pos < tc.end and name]
    if symbols:
        meta["symbols"] = symbols
    return meta
