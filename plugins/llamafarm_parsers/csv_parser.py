"""CSV/TSV files: rows packed into chunks, the header row repeated in every chunk."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import ParseFailed, ParseResult, SourceFile, base_name
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig
from llamafarm_parsers.tabular import format_row, row_chunks

_CANDIDATES = (",", ";", "\t", "|")


class CsvConfig(BuiltinParserConfig):
    chunk_strategy: str = Field("rows", description="rows: whole rows packed up to chunk_size characters.")
    delimiter: str | None = Field(
        None,
        min_length=1,
        max_length=1,
        description="Field separator; detected from the header when unset (tab for .tsv).",
    )
    quotechar: str = Field('"', min_length=1, max_length=1)
    has_header: bool = Field(True, description="The first row names the columns and starts every chunk.")


class CsvParser(BuiltinParser[CsvConfig]):
    """Comma/tab/semicolon separated values. Rows with a different field count are kept, with a warning."""

    name = "csv"
    aliases = ("CSVParser_Python", "CSVParser_Pandas", "CSVParser_LlamaIndex")
    extensions = (".csv", ".tsv")
    strategies = ("rows",)
    ignored_keys = frozenset({"na_values", "field_mapping", "combine_fields", "skiprows"})

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        name = base_name(source.filename)
        decoded = self.decode(data, source)
        warnings = list(decoded.warnings)
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
        delimiter = self.config.delimiter or _detect_delimiter(text, self.extension_of(source))
        records = _read(text, delimiter, self.config.quotechar, name)
        if not records:
            raise ParseFailed(f"no text found in {name}")
        header: list[str] | None = None
        if self.config.has_header:
            header = records.pop(0)[1]
            if not records:
                raise ParseFailed(f"{name} has a header row but no data rows")
        width = len(header) if header else len(records[0][1])
        ragged = [number for number, fields in records if len(fields) != width]
        if ragged:
            shown = ", ".join(map(str, ragged[:10])) + (", ..." if len(ragged) > 10 else "")
            warnings.append(
                f"{len(ragged)} row(s) have a different number of fields than the "
                f"{'header' if header else 'first row'} ({width}): rows {shown}; they are kept as they are"
            )
        lines = [(number, format_row(fields, delimiter)) for number, fields in records]
        header_line = format_row(header, delimiter) if header else None
        chunks, more = row_chunks(header_line, lines, self.config.chunk_size)
        metadata: dict[str, Any] = {"row_count": len(records), "delimiter": delimiter}
        if header:
            metadata["columns"] = header
        return ParseResult(chunks, warnings + more, metadata)


def _detect_delimiter(text: str, ext: str) -> str:
    if ext == ".tsv":
        return "\t"
    first = next((line for line in text.split("\n") if line.strip()), "")
    counts = {c: first.count(c) for c in _CANDIDATES}
    best = max(_CANDIDATES, key=lambda c: counts[c])  # ties go to the earlier candidate
    return best if counts[best] else ","


def _read(text: str, delimiter: str, quotechar: str, name: str) -> list[tuple[int, list[str]]]:
    """``(record number, fields)`` for each non-blank record; record 1 is the first line."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar)
    out = []
    try:
        for number, fields in enumerate(reader, start=1):
            if any(f.strip() for f in fields):
                out.append((number, [f.strip() for f in fields]))
    except csv.Error as err:
        raise ParseFailed(f"{name} is not valid CSV near line {reader.line_num}: {err}") from None
    return out
