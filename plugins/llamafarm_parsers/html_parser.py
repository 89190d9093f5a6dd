"""HTML pages with the standard library's html.parser: visible text only, headings as sections."""

from __future__ import annotations

import re
from html.parser import HTMLParser as _StdlibHTMLParser
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import ParseResult, SourceFile, canonical_encoding
from llamafarm_parsers.base import Block, BuiltinParser, BuiltinParserConfig, assemble_blocks, heading_regions

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)

# Elements whose content is never shown as text.
_HIDDEN = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "select"}
)
# Elements that start a new block of text.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_VOID = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}
)


class HtmlConfig(BuiltinParserConfig):
    chunk_strategy: str = Field(
        "sections", description="sections (default: by h1-h6), paragraphs, sentences, characters."
    )


class HtmlParser(BuiltinParser[HtmlConfig]):
    """HTML: text a browser would show (no script, style or head), headings h1–h6 as sections."""

    name = "html"
    aliases = ("HTMLParser", "HTMLParser_BeautifulSoup", "HTMLParser_Python")
    extensions = (".html", ".htm", ".xhtml")
    ignored_keys = frozenset(
        {"extract_links", "extract_images", "extract_tables", "clean_text", "preserve_structure"}
    )

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        decoded = self.decode(data, source, self.config.encoding or _declared_charset(data))
        extractor = VisibleText()
        extractor.feed(defuse_unclosed_markup(decoded.text))
        extractor.close()
        text, headings = assemble_blocks(extractor.blocks)
        chunks = self.text_chunks(text, strategy, heading_regions(headings))
        metadata: dict[str, Any] = {"title": extractor.title} if extractor.title else {}
        return ParseResult(chunks, list(decoded.warnings), metadata)


_COMMENT_CLOSE = re.compile(r"--\s*>")
_SECTION_CLOSE = re.compile(r"\]\s*>")


def _escape_after(text: str, close: re.Pattern[str] | str, opening: str) -> str:
    """``opening`` escaped wherever it follows the last match of ``close``."""
    if isinstance(close, str):
        end = text.rfind(close) + 1
    else:
        end = max((m.end() for m in close.finditer(text)), default=0)
    if opening not in text[end:]:
        return text
    return text[:end] + text[end:].replace(opening, "&lt;" + opening[1:])


def defuse_unclosed_markup(text: str) -> str:
    """The text with every ``<`` that can never be closed written as ``&lt;``: same visible
    text, linear parsing time.

    The standard library's parser (before Python 3.13.5, CVE-2025-6069) scans to the end of
    the text from each such ``<`` and then goes on one character later: quadratic on
    ``"<a" * 20_000`` (minutes for 40 KB). A tag, end tag or declaration needs a later
    ``>``, a comment a later ``-->``, a marked section a later ``]>``; whatever comes after
    the last of those is text (as the parser would treat it at the end anyway).
    """
    text = _escape_after(text, ">", "<")
    text = _escape_after(text, _COMMENT_CLOSE, "<!--")
    return _escape_after(text, _SECTION_CLOSE, "<![")


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    try:
        return canonical_encoding(match.group(1).decode("ascii"))
    except ValueError:
        return None


class VisibleText(_StdlibHTMLParser):
    """Collects visible text as :class:`Block` s, and the ``<title>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._buffer: list[str] = []
        self._hidden: list[str] = []
        self._in_head = False
        self._in_title = False
        self._pre = 0
        self._heading: int | None = None
        self._cells: list[str] | None = None
        self._rows: list[str] | None = None
        self._tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._hidden:
            if tag == self._hidden[-1] and tag not in _VOID:
                self._hidden.append(tag)
            return
        if tag in _HIDDEN:
            self._hidden.append(tag)
        elif tag == "head":
            self._in_head = True
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self._in_head = False
        if tag == "table":
            self._tables += 1
            if self._tables == 1:
                self._flush()
                self._rows = []
        elif tag == "tr":
            self._end_row()
            self._flush()
            self._cells = []
        elif tag in _CELLS:
            self._end_cell()
        elif tag in _BLOCKS:
            self._flush()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = int(tag[1])
        elif tag == "pre":
            self._pre += 1
        elif tag == "li":
            self._buffer.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag == self._hidden[-1]:
                self._hidden.pop()
            return
        if tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        elif tag in _CELLS:
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag == "table":
            self._tables = max(0, self._tables - 1)
            if self._tables == 0:
                self._end_table()
        elif tag in _BLOCKS:
            self._flush()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._hidden and tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._in_title:
            self.title = " ".join((self.title + " " + data).split())
        elif not self._in_head:
            self._buffer.append(data if self._pre else re.sub(r"\s+", " ", data))

    def close(self) -> None:
        super().close()
        self._end_table()
        self._flush()

    def _end_cell(self) -> None:
        if self._cells is not None:
            self._cells.append(" ".join("".join(self._buffer).split()))
            self._buffer.clear()

    def _end_row(self) -> None:
        if self._cells is not None:
            self._end_cell()
            cells = [c for c in self._cells if c]
            self._cells = None
            if cells and self._rows is not None:
                self._rows.append(" | ".join(cells))
            elif cells:
                self.blocks.append(Block(" | ".join(cells)))

    def _end_table(self) -> None:
        """One block per table, one line per row (nested tables join the outer one)."""
        self._end_row()
        self._flush()
        if self._rows:
            self.blocks.append(Block("\n".join(self._rows)))
        self._rows = None

    def _flush(self) -> None:
        if self._cells is not None:
            return  # inside a table row: cell text is collected until the row ends
        text = "".join(self._buffer)
        self._buffer.clear()
        text = text.strip("\n") if self._pre else " ".join(text.split())
        if text and text != "-":
            self.blocks.append(Block(text, self._heading))
        self._heading = None
