"""Tables written in text: markdown pipe tables, grid tables, CSV/TSV blocks, HTML tables."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from llamafarm_core.plugin_api import PluginConfig

from ._base import ChunkwiseExtractor

TableFormat = Literal["pipe", "grid", "csv", "html", "html_marker"]
_DEFAULT_FORMATS: list[TableFormat] = ["pipe", "grid", "csv", "html"]
_PIPE_SEPARATOR_RE = re.compile(r"\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?")
_GRID_BORDER_RE = re.compile(r"\+(?:[-=:]+\+)+")
# HTML elements are found by searching for the opening and the closing tag separately (see
# _elements): a lazy ``<table\b.*?</table\s*>`` rescans the rest of the text from every
# opening tag that is never closed, quadratic on "<table><tr>" repeated.
_HTML_TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)
_HTML_TABLE_CLOSE = re.compile(r"</table\s*>", re.IGNORECASE)
_HTML_ROW_OPEN = re.compile(r"<tr\b", re.IGNORECASE)
_HTML_ROW_CLOSE = re.compile(r"</tr\s*>", re.IGNORECASE)
_HTML_CELL_OPEN = re.compile(r"<t([hd])\b", re.IGNORECASE)
_HTML_CELL_CLOSE = re.compile(r"</t[hd]\s*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]+>")
_NUMBER_RE = re.compile(r"[-+$€£]?\d[\d,.]*%?")


@dataclass
class Table:
    format: str
    headers: list[str]
    rows: list[list[str]]


class TableConfig(PluginConfig):
    min_columns: int = Field(default=2, ge=1)
    min_rows: int = Field(default=2, ge=1, description="Fewest data rows (headers not counted).")
    detect_headers: bool = Field(
        default=True, description="Take the first row as headers where the format allows."
    )
    table_formats: list[TableFormat] = Field(default_factory=lambda: list(_DEFAULT_FORMATS))
    max_cell_length: int = Field(default=200, ge=10, description="Cells are cut to this many characters.")
    max_rows: int = Field(
        default=5, ge=0, description="Data rows kept in metadata per table (row_count is exact)."
    )


def _pipe_cells(line: str) -> list[str]:
    s = line.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") else s
    return [c.strip() for c in s.split("|")]


def _grid_tables(lines: list[str], used: set[int]) -> list[Table]:
    tables, i = [], 0
    while i < len(lines):
        if not _GRID_BORDER_RE.fullmatch(lines[i].strip()):
            i += 1
            continue
        start, header_rows = i, 0
        rows: list[list[str]] = []
        current: list[str] = []
        i += 1
        while i < len(lines) and (
            lines[i].strip().startswith("|") or _GRID_BORDER_RE.fullmatch(lines[i].strip())
        ):
            line = lines[i].strip()
            if line.startswith("|"):
                cells = _pipe_cells(line)
                current = (
                    cells
                    if not current
                    else [f"{a} {b}".strip() for a, b in zip(current, cells, strict=False)]
                )
            else:
                if current:
                    rows.append(current)
                    current = []
                if "=" in line:
                    header_rows = len(rows)
            i += 1
        if rows:
            used.update(range(start, i))
            headers = [" ".join(col) for col in zip(*rows[:header_rows], strict=False)] if header_rows else []
            tables.append(Table("grid", headers, rows[header_rows:]))
    return tables


def _pipe_tables(lines: list[str], used: set[int]) -> list[Table]:
    tables, i = [], 0
    while i < len(lines):
        if i in used or "|" not in lines[i]:
            i += 1
            continue
        start = i
        while i < len(lines) and i not in used and "|" in lines[i] and lines[i].strip():
            i += 1
        block = lines[start:i]
        separator = next(
            (k for k, line in enumerate(block) if _PIPE_SEPARATOR_RE.fullmatch(line.strip())), None
        )
        rows = [_pipe_cells(line) for k, line in enumerate(block) if k != separator]
        headers: list[str] = []
        if separator == 1:
            headers, rows = rows[0], rows[1:]
        if separator is None and not all(line.strip().startswith("|") for line in block):
            continue  # stray pipes in prose
        used.update(range(start, i))
        tables.append(Table("pipe", headers, rows))
    return tables


def _csv_tables(lines: list[str], used: set[int], min_rows: int) -> list[Table]:
    """Runs of lines that split into the same number (≥2) of short cells on , ; or tab."""
    tables, i = [], 0
    while i < len(lines):
        line = lines[i]
        delimiter = "\t" if "\t" in line else max(",;", key=line.count)
        if i in used or not line.strip() or line.count(delimiter) == 0:
            i += 1
            continue
        width = line.count(delimiter)
        start = i
        while i < len(lines) and i not in used and lines[i].strip() and lines[i].count(delimiter) == width:
            i += 1
        block = lines[start:i]
        if len(block) < max(min_rows + 1, 3 if delimiter != "\t" else 2):
            i = max(i, start + 1)
            continue
        rows = [[c.strip() for c in row] for row in csv.reader(block, delimiter=delimiter)]
        cells = [c for row in rows for c in row]
        if sum(map(len, cells)) / max(1, len(cells)) > 40 or any(
            line.rstrip().endswith(".") for line in block
        ):
            continue  # long cells or full stops: prose with commas, not data
        used.update(range(start, i))
        tables.append(Table("tsv" if delimiter == "\t" else "csv", [], rows))
    return tables


def _elements(
    text: str, opening: re.Pattern[str], closing: re.Pattern[str], *, content: bool = False
) -> Iterator[tuple[re.Match[str], str]]:
    """``(opening match, element)`` for each element from ``opening`` to the first ``closing``
    after it, in order, in linear time. With ``content``, the element is what lies between
    the end of the opening tag (its ``>``) and the closing tag. The scan ends at the first
    element never closed: no later one can be closed either."""
    pos = 0
    while (start := opening.search(text, pos)) is not None:
        inner = start.end()
        if content:
            inner = text.find(">", inner) + 1
            if inner == 0:
                return
        end = closing.search(text, inner)
        if end is None:
            return
        yield start, text[inner : end.start()] if content else text[start.start() : end.end()]
        pos = end.end()


def _html_tables(text: str) -> list[Table]:
    tables = []
    for _, table in _elements(text, _HTML_TABLE_OPEN, _HTML_TABLE_CLOSE):
        headers: list[str] = []
        rows: list[list[str]] = []
        for _, row in _elements(table, _HTML_ROW_OPEN, _HTML_ROW_CLOSE):
            cells = [
                (m.group(1), c) for m, c in _elements(row, _HTML_CELL_OPEN, _HTML_CELL_CLOSE, content=True)
            ]
            values = [" ".join(html.unescape(_TAG_RE.sub(" ", c)).split()) for _, c in cells]
            if cells and all(kind.lower() == "h" for kind, _ in cells) and not headers and not rows:
                headers = values
            elif values:
                rows.append(values)
        tables.append(Table("html", headers, rows))
    return tables


def _looks_like_header(row: list[str], rest: list[list[str]]) -> bool:
    return bool(rest) and not any(_NUMBER_RE.fullmatch(c) for c in row) and all(row)


class TableExtractor(ChunkwiseExtractor[TableConfig]):
    """Adds ``tables`` ([{format, headers, rows, row_count, column_count}], rows cut to
    ``max_rows``) and ``table_count``. Formats: ``pipe`` (markdown), ``grid`` (+---+),
    ``csv``/``tsv`` (runs of ≥3 lines, ≥2 for tabs, with equal delimiter counts and short
    cells) and ``html`` (<table>; ``html_marker`` is the original's name for it). For CSV
    the first row becomes ``headers`` when it has no numeric cells.
    """

    name = "tables"
    aliases = ("TableExtractor", "table_extractor")
    description = "Tables found in text (pipe, grid, CSV/TSV, HTML)."

    def extract_text(self, text: str) -> dict[str, Any]:
        cfg = self.config
        formats = {"html" if f == "html_marker" else f for f in cfg.table_formats}
        lines = text.splitlines()
        used: set[int] = set()
        found: list[Table] = []
        if "grid" in formats:
            found += _grid_tables(lines, used)
        if "pipe" in formats:
            found += _pipe_tables(lines, used)
        if "csv" in formats:
            found += _csv_tables(lines, used, cfg.min_rows)
        if "html" in formats and "<table" in text.lower():
            found += _html_tables(text)
        tables = [t for t in (self._finish(t) for t in found) if t is not None]
        return {"tables": tables, "table_count": len(tables)}

    def _finish(self, table: Table) -> dict[str, Any] | None:
        cfg = self.config
        headers, rows = table.headers, table.rows
        if (
            cfg.detect_headers
            and not headers
            and table.format in ("csv", "tsv")
            and _looks_like_header(rows[0], rows[1:])
        ):
            headers, rows = rows[0], rows[1:]
        if not cfg.detect_headers and headers:
            headers, rows = [], [headers, *rows]
        columns = max([len(headers), *map(len, rows)], default=0)
        if columns < cfg.min_columns or len(rows) < cfg.min_rows:
            return None
        cut = cfg.max_cell_length
        return {
            "format": table.format,
            "headers": [h[:cut] for h in headers],
            "rows": [[c[:cut] for c in row] for row in rows[: cfg.max_rows]],
            "row_count": len(rows),
            "column_count": columns,
        }
