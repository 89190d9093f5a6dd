"""Units of text as ``(start, end)`` spans: paragraphs, sentences, lines, words, headings.

Every function works on offsets into one string, so a chunk is always an exact slice of the
text it came from and callers can map a chunk back to pages, sections or line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple


class Span(NamedTuple):
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n\s*")
# A sentence ends at . ! or ? (optionally followed by a closing quote or bracket) before
# whitespace; a blank line ends one too. Single newlines inside a paragraph do not.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'\u201d\u2019)\]])\s+|\n[ \t\f\v]*\n\s*")
LINE_BREAK = re.compile(r"\n\s*")
WORD_BREAK = re.compile(r"\s+")
_WORD = re.compile(r"\S+")

# Split levels from coarse to fine. An oversized unit is split at the next finer level.
PROSE_LEVELS: tuple[re.Pattern[str], ...] = (PARAGRAPH_BREAK, SENTENCE_BREAK, LINE_BREAK, WORD_BREAK)
# Code keeps its indentation: these stop at the newline instead of eating the next indent.
CODE_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n(?:[ \t\f\v]*\n)*")
CODE_LINE_BREAK = re.compile(r"\n(?:[ \t\f\v]*\n)*")
CODE_LEVELS: tuple[re.Pattern[str], ...] = (CODE_PARAGRAPH_BREAK, CODE_LINE_BREAK, WORD_BREAK)

# Every pattern here runs over user text, so none may backtrack over a run of characters more
# than once: the heading line is matched greedily and its closing hashes are stripped in
# Python (the former ``[ \t]+(.+?)[ \t]*#*[ \t]*$`` was cubic on "# a" + spaces + "b"), and
# trailing spaces are stripped line by line (``[ \t]+$`` was quadratic on a long run of spaces).
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]([^\n]+)$", re.MULTILINE)
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)
_HORIZONTAL_SPACE = " \t\f\v"
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalize_text(text: str, *, collapse_blank_lines: bool = True) -> str:
    """Unix newlines, no NULs, no trailing spaces, at most one blank line in a row (optional).

    Leading indentation is kept (code and lists depend on it).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = strip_trailing_space(text)
    if collapse_blank_lines:
        text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip("\n")


def strip_trailing_space(text: str) -> str:
    """Remove spaces and tabs at the end of every line (in linear time)."""
    return "\n".join(line.rstrip(_HORIZONTAL_SPACE) for line in text.split("\n"))


def heading_title(rest: str) -> str:
    """The title of an ATX heading line from what follows ``#... ``: without the optional
    closing sequence of ``#`` and the surrounding spaces."""
    title = rest.rstrip(" \t").rstrip("#").rstrip(" \t")
    return (title or rest.lstrip(" \t")[:1]).strip()


def trim(text: str, start: int, end: int) -> Span:
    """The span without surrounding whitespace, except the first line's indentation (may be empty).

    Separators consume the whitespace between prose units, so the kept indentation only
    shows where a separator stops at a newline, as the code separators do.
    """
    while end > start and text[end - 1].isspace():
        end -= 1
    first = start
    while first < end and text[first].isspace():
        first += 1
    while first > start and first < end and text[first - 1] in " \t":
        first -= 1
    return Span(first, end) if first < end else Span(end, end)


def spans_between(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[Span]:
    """Trimmed, non-empty pieces of ``text[start:end]`` between matches of ``separator``."""
    if separator is WORD_BREAK:  # the hot path for long texts: words need no trimming
        return [Span(*m.span()) for m in _WORD.finditer(text, start, end)]
    out: list[Span] = []
    pos = start
    for m in separator.finditer(text, start, end):
        piece = trim(text, pos, m.start())
        if piece.length:
            out.append(piece)
        pos = m.end()
    piece = trim(text, pos, end)
    if piece.length:
        out.append(piece)
    return out


def hard_split(span: Span, limit: int) -> list[Span]:
    """Cut a span into pieces of at most ``limit`` characters (the last one may be shorter)."""
    return [Span(s, min(s + limit, span.end)) for s in range(span.start, span.end, limit)]


def split_to_fit(
    text: str, span: Span, limit: int, levels: Sequence[re.Pattern[str]] = PROSE_LEVELS
) -> list[Span]:
    """Spans covering ``span``, each at most ``limit`` long, split at the coarsest level that works.

    ``levels`` are separators from coarse to fine; when none splits a piece it is cut by
    characters.
    """
    if span.length <= limit:
        return [span]
    for i, separator in enumerate(levels):
        parts = spans_between(text, span.start, span.end, separator)
        if len(parts) > 1 or (parts and parts[0] != span):
            out: list[Span] = []
            finer = levels[i + 1 :]
            for part in parts:
                if part.end - part.start <= limit:
                    out.append(part)
                else:
                    out.extend(split_to_fit(text, part, limit, finer))
            return out
    return hard_split(span, limit)


def units(
    text: str,
    start: int,
    end: int,
    level: int,
    limit: int,
    levels: Sequence[re.Pattern[str]] = PROSE_LEVELS,
    *,
    piece_limit: int | None = None,
) -> list[Span]:
    """Split ``text[start:end]`` at ``levels[level]``.

    A unit up to ``limit`` long is kept whole; a longer one is split finer into pieces of
    at most ``piece_limit`` (default ``limit``). A smaller piece limit leaves room for overlap.
    """
    out: list[Span] = []
    finer = levels[level + 1 :]
    for part in spans_between(text, start, end, levels[level]):
        if part.end - part.start <= limit:
            out.append(part)
        else:
            out.extend(split_to_fit(text, part, piece_limit or limit, finer))
    return out


@dataclass(frozen=True)
class Heading:
    """A heading line: where it starts, its level (1 = top) and its text."""

    start: int
    level: int
    title: str


def markdown_headings(text: str) -> list[Heading]:
    """ATX headings (``# Title``) outside fenced code blocks, in document order."""
    fenced: list[Span] = []
    fences = list(_FENCE.finditer(text))
    i = 0
    while i < len(fences):
        opening = fences[i]
        closing = next((f for f in fences[i + 1 :] if f.group(1) == opening.group(1)), None)
        if closing is None:
            fenced.append(Span(opening.start(), len(text)))
            break
        fenced.append(Span(opening.start(), closing.end()))
        i = fences.index(closing) + 1
    headings = []
    for m in _ATX_HEADING.finditer(text):
        if any(f.start <= m.start() < f.end for f in fenced):
            continue
        headings.append(Heading(m.start(), len(m.group(1)), heading_title(m.group(2))))
    return headings
