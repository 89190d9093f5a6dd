"""Chunking strategies. Sizes and overlaps are measured in characters.

Strategies:

- ``characters``: words packed up to ``chunk_size``; a word longer than that is cut.
- ``sentences``: whole sentences packed up to ``chunk_size``.
- ``paragraphs``: whole paragraphs (blank-line separated) packed up to ``chunk_size``.
- ``sections``: the text split at section boundaries (given, or markdown headings); a chunk
  never crosses a boundary; inside a section, paragraphs are packed.
- ``pages``: like ``sections`` with page boundaries (only parsers that know pages offer it).
- ``rows``: tabular rows packed up to ``chunk_size`` with the header repeated in every chunk
  (see :func:`chunk_rows`; rows never overlap, a duplicated record would be a false hit).

A unit longer than ``chunk_size`` is split at the next finer level (paragraph → sentence →
line → word → characters), so no chunk is ever longer than ``chunk_size``. Overlap is the
trailing text of the previous chunk, cut at a word boundary when there is one; it never
crosses a section or page boundary, and it shrinks when the next unit would not fit with it.

Names the original LlamaFarm accepted but this project doesn't implement map to a fallback
(:data:`FALLBACKS`); the parser reports the substitution as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from llamafarm_core.ingest.text_units import (
    LINE_BREAK,
    PROSE_LEVELS,
    WORD_BREAK,
    Span,
    markdown_headings,
    split_to_fit,
    units,
)

STRATEGIES: tuple[str, ...] = ("characters", "sentences", "paragraphs", "sections", "pages", "rows")

FALLBACKS: dict[str, str] = {
    "semantic": "paragraphs",
    "recursive": "paragraphs",
    "hybrid": "paragraphs",
    "email_sections": "paragraphs",
    "tokens": "characters",
    "fixed": "characters",
    "headings": "sections",
    "markdown": "sections",
    "code": "sections",
    "full": "rows",
    "columns": "rows",
}

_LEVEL = {"paragraphs": 0, "sentences": 1, "characters": 3}


def validate_strategy(name: str) -> str:
    """The normalised strategy name; ``ValueError`` listing the known ones when it is unknown."""
    key = name.strip().lower()
    if key not in STRATEGIES and key not in FALLBACKS:
        raise ValueError(
            f"unknown chunk_strategy {name!r}; known: {', '.join(STRATEGIES)} "
            f"(accepted with a fallback: {', '.join(FALLBACKS)})"
        )
    return key


@dataclass(frozen=True)
class StrategyChoice:
    """The strategy a parser actually uses, and a warning when it isn't the one asked for."""

    strategy: str
    warning: str | None = None


def resolve_strategy(
    requested: str, supported: Sequence[str], default: str, *, parser: str
) -> StrategyChoice:
    """Map ``requested`` onto what ``parser`` supports: itself, its fallback, or ``default``."""
    key = validate_strategy(requested)
    if key in supported:
        return StrategyChoice(key)
    fallback = FALLBACKS.get(key)
    if fallback is not None and fallback in supported:
        return StrategyChoice(
            fallback, f"chunk_strategy {key!r} is not implemented; using {fallback!r} instead"
        )
    return StrategyChoice(
        default, f"chunk_strategy {key!r} does not apply to the {parser} parser; using {default!r} instead"
    )


@dataclass(frozen=True)
class TextChunk:
    """A chunk as an exact slice ``source[start:end]``.

    ``content_start`` is where the chunk's own text begins, after the overlap copied from
    the previous chunk (``start == content_start`` when there is none).
    """

    text: str
    start: int
    end: int
    content_start: int


def pack(text: str, spans: Sequence[Span], chunk_size: int, chunk_overlap: int) -> list[TextChunk]:
    """Pack consecutive ``spans`` (each at most ``chunk_size`` long) into chunks with overlap."""
    chunks: list[TextChunk] = []
    i = 0
    while i < len(spans):
        first = spans[i]
        start = first.start
        if chunks and chunk_overlap:
            start = _overlap_start(text, chunks[-1], chunk_overlap, first, chunk_size)
        end = first.end
        i += 1
        while i < len(spans) and spans[i].end - start <= chunk_size:
            end = spans[i].end
            i += 1
        chunks.append(TextChunk(text[start:end], start, end, first.start))
    return chunks


def _overlap_start(text: str, prev: TextChunk, overlap: int, first: Span, chunk_size: int) -> int:
    """Where the next chunk starts so it repeats at most ``overlap`` characters of ``prev``."""
    candidate = max(prev.end - overlap, prev.start, first.end - chunk_size)
    if candidate >= prev.end:
        return first.start
    if candidate > 0 and not text[candidate - 1].isspace():
        gap = WORD_BREAK.search(text, candidate, prev.end)
        if gap is not None:
            candidate = gap.end()
    else:
        while candidate < prev.end and text[candidate].isspace():
            candidate += 1
    return candidate if candidate < prev.end else first.start


def chunk_text(
    text: str,
    strategy: str,
    chunk_size: int,
    chunk_overlap: int = 0,
    *,
    boundaries: Sequence[int] | None = None,
    levels: Sequence[re.Pattern[str]] = PROSE_LEVELS,
) -> list[TextChunk]:
    """Chunk ``text`` by ``strategy`` (one of :data:`STRATEGIES` except ``rows``).

    ``boundaries`` are offsets where sections (or pages) start; for ``sections`` they default
    to the markdown headings of the text. ``pages`` needs them.
    """
    if chunk_overlap >= chunk_size:
        raise ValueError("chunk_overlap must be smaller than chunk_size")
    piece = chunk_size - chunk_overlap  # pieces of a split unit leave room for the overlap
    if strategy in ("sections", "pages"):
        if boundaries is None:
            if strategy == "pages":
                raise ValueError("the pages strategy needs page boundaries")
            boundaries = [h.start for h in markdown_headings(text)]
        return [
            chunk
            for seg in segments(text, boundaries)
            for chunk in pack(
                text,
                units(text, seg.start, seg.end, 0, chunk_size, levels, piece_limit=piece),
                chunk_size,
                chunk_overlap,
            )
        ]
    if strategy not in _LEVEL:
        raise ValueError(
            f"chunk_text: strategy {strategy!r} is not one of characters, sentences, paragraphs, sections, pages"
        )
    level = min(_LEVEL[strategy], len(levels) - 1)
    spans = units(text, 0, len(text), level, chunk_size, levels, piece_limit=piece)
    return pack(text, spans, chunk_size, chunk_overlap)


def segments(text: str, boundaries: Sequence[int]) -> list[Span]:
    """The spans between sorted, de-duplicated ``boundaries`` (plus the start and end of text)."""
    cuts = sorted({0, *(b for b in boundaries if 0 < b < len(text)), len(text)})
    return [Span(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


@dataclass(frozen=True)
class RowChunk:
    """A chunk of tabular rows: the header line plus ``rows[first:last + 1]``."""

    text: str
    first: int
    last: int


def header_limit(chunk_size: int) -> int:
    """The longest header repeated in row chunks; longer headers are cut to this length."""
    return max(1, chunk_size // 2)


def chunk_rows(rows: Sequence[str], header: str | None, chunk_size: int) -> list[RowChunk]:
    """Pack whole rows (single lines, or multi-line records) up to ``chunk_size`` characters.

    The header (if any, cut to :func:`header_limit`) starts every chunk. A row too long to
    fit with the header is split across several chunks, each repeating the header.
    """
    prefix = (header[: header_limit(chunk_size)] + "\n") if header else ""
    if len(prefix) >= chunk_size:  # a chunk of one or two characters has no room for a header
        prefix = ""
    budget = chunk_size - len(prefix)
    out: list[RowChunk] = []
    batch: list[str] = []
    first = last = 0
    length = 0

    def flush() -> None:
        if batch:
            out.append(RowChunk(prefix + "\n".join(batch), first, last))
            batch.clear()

    for index, row in enumerate(rows):
        if not row.strip():
            continue
        if len(row) > budget:
            flush()
            out.extend(RowChunk(prefix + piece, index, index) for piece in split_long_text(row, budget))
            continue
        if batch and length + 1 + len(row) > budget:
            flush()
        if batch:
            length += 1 + len(row)
        else:
            first, length = index, len(row)
        batch.append(row)
        last = index
    flush()
    return out


def split_long_text(text: str, limit: int) -> list[str]:
    """Pieces of ``text`` of at most ``limit`` characters, cut at lines, then words, then anywhere."""
    spans = split_to_fit(text, Span(0, len(text)), limit, (LINE_BREAK, WORD_BREAK))
    return [c.text for c in pack(text, spans, limit, 0)]
