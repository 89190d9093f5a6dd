"""Rows to chunks for the tabular parsers (csv, xlsx): header repeated, row numbers kept."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from llamafarm_core.plugin_api import Chunk, chunk_rows, header_limit


def format_row(values: Sequence[Any], delimiter: str = ",") -> str:
    """One CSV line (quoted where needed) from cell values; trailing empty cells dropped."""
    cells = [format_cell(v) for v in values]
    while cells and not cells[-1]:
        cells.pop()
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(cells)
    return out.getvalue()


def format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def row_chunks(
    header: str | None,
    rows: Sequence[tuple[int, str]],
    chunk_size: int,
    metadata: dict[str, Any] | None = None,
) -> tuple[list[Chunk], list[str]]:
    """Chunks of ``(row_number, line)`` rows with ``row_start``/``row_end``; plus warnings."""
    warnings = []
    if header and len(header) > header_limit(chunk_size):
        warnings.append(
            f"the header row is longer than half of chunk_size ({chunk_size}); it is cut in every chunk"
        )
    chunks = []
    for rc in chunk_rows([line for _, line in rows], header, chunk_size):
        chunks.append(
            Chunk(rc.text, {**(metadata or {}), "row_start": rows[rc.first][0], "row_end": rows[rc.last][0]})
        )
    return chunks, warnings
