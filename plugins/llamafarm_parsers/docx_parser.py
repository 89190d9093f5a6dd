"""Word .docx files with python-docx: paragraphs, headings (as sections) and tables as text rows."""

from __future__ import annotations

import io
import re
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import ParseFailed, ParseResult, SourceFile, base_name
from llamafarm_parsers.base import (
    Block,
    BuiltinParser,
    BuiltinParserConfig,
    assemble_blocks,
    check_archive,
    heading_regions,
)

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


class DocxConfig(BuiltinParserConfig):
    chunk_strategy: str = Field(
        "paragraphs", description="paragraphs (default), sections (by Heading styles), sentences, characters."
    )
    extract_tables: bool = Field(True, description="Include tables, one line per row, cells joined by ' | '.")


class DocxParser(BuiltinParser[DocxConfig]):
    """Word 2007+ documents (.docx/.docm). Legacy binary .doc files are not supported."""

    name = "docx"
    aliases = ("DocxParser_PythonDocx", "DocxParser_LlamaIndex")
    extensions = (".docx", ".docm")
    ignored_keys = frozenset(
        {
            "extract_headers",
            "extract_footers",
            "extract_comments",
            "extract_headers_footers",
            "include_header_footer",
            "extract_images",
            "preserve_formatting",
        }
    )

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        document = _open(data, base_name(source.filename))
        blocks = list(_blocks(document, self.config.extract_tables))
        text, headings = assemble_blocks(blocks)
        chunks = self.text_chunks(text, strategy, heading_regions(headings))
        metadata = _core_properties(document) if self.config.extract_metadata else {}
        return ParseResult(chunks, [], metadata)


def _open(data: bytes, name: str) -> Any:
    if data[:2] != b"PK":
        hint = (
            " (legacy .doc files are not supported; save it as .docx)"
            if data[:4] == b"\xd0\xcf\x11\xe0"
            else ""
        )
        raise ParseFailed(f"{name} is not a valid Word .docx file{hint}")
    check_archive(data, name)
    import docx

    try:
        return docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx raises zip, XML and package errors
        raise ParseFailed(f"{name} is not a valid Word .docx file ({type(err).__name__}: {err})") from None


def _blocks(document: Any, tables: bool) -> Any:
    from docx.table import Table

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            if tables:
                yield Block(_table_text(item))
            continue
        style = item.style.name if item.style is not None else ""
        level = 1 if style.lower() == "title" else None
        match = _HEADING_STYLE.match(style)
        if match:
            level = int(match.group(1))
        yield Block(item.text, level)


def _table_text(table: Any) -> str:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[Any] = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell appears once per column it spans
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def _core_properties(document: Any) -> dict[str, Any]:
    props = document.core_properties
    out: dict[str, Any] = {}
    for key in ("title", "author", "subject", "keywords", "category"):
        value = getattr(props, key, None)
        if value:
            out[key] = str(value)
    for key in ("created", "modified"):
        value = getattr(props, key, None)
        if value is not None:
            out[key] = value.isoformat()
    return out
