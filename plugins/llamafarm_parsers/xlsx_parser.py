"""Excel .xlsx workbooks with openpyxl: each sheet chunked by rows, its header repeated."""

from __future__ import annotations

import io
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import Chunk, ParseFailed, ParseResult, SourceFile, base_name
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig, check_archive
from llamafarm_parsers.tabular import format_row, row_chunks


class XlsxConfig(BuiltinParserConfig):
    chunk_strategy: str = Field("rows", description="rows: whole rows packed up to chunk_size characters.")
    sheets: list[str] | None = Field(None, description="Sheet names to read; all sheets when unset.")


class XlsxParser(BuiltinParser[XlsxConfig]):
    """Excel 2007+ workbooks (cell values, not formulas). Legacy .xls files are not supported."""

    name = "xlsx"
    aliases = ("ExcelParser_OpenPyXL", "ExcelParser_Pandas", "ExcelParser_LlamaIndex")
    extensions = (".xlsx", ".xlsm", ".xltx", ".xltm")
    strategies = ("rows",)
    ignored_keys = frozenset(
        {"extract_formulas", "data_only", "skiprows", "na_values", "header_row", "combine_sheets"}
    )

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        name = base_name(source.filename)
        workbook = _open(data, name)
        warnings: list[str] = []
        chunks: list[Chunk] = []
        try:
            names = list(workbook.sheetnames)
            wanted = names if self.config.sheets is None else [s for s in self.config.sheets if s in names]
            missing = [s for s in self.config.sheets or [] if s not in names]
            if missing:
                warnings.append(f"sheet(s) not in {name}: {', '.join(missing)} (it has: {', '.join(names)})")
            for sheet in wanted:
                worksheet = workbook[sheet]
                if not hasattr(worksheet, "iter_rows"):  # a chart sheet holds no cells
                    continue
                rows = [
                    (number, values)
                    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1)
                    if any(v is not None and str(v).strip() for v in values)
                ]
                if not rows:
                    continue
                header = format_row(rows[0][1])
                lines = [(number, format_row(values)) for number, values in rows[1:]]
                if not lines:
                    lines, header = [(rows[0][0], header)], ""
                sheet_chunks, more = row_chunks(
                    header or None, lines, self.config.chunk_size, {"sheet": sheet}
                )
                chunks.extend(sheet_chunks)
                warnings.extend(f"sheet {sheet!r}: {w}" for w in more)
        finally:
            workbook.close()
        return ParseResult(chunks, warnings, {"sheets": names})


def _open(data: bytes, name: str) -> Any:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ParseFailed(f"{name} is a legacy Excel .xls file, which is not supported; save it as .xlsx")
    if data[:2] != b"PK":
        raise ParseFailed(f"{name} is not a valid Excel .xlsx workbook")
    check_archive(data, name)
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # zip, XML and openpyxl's own errors
        raise ParseFailed(
            f"{name} is not a valid Excel .xlsx workbook ({type(err).__name__}: {err})"
        ) from None
