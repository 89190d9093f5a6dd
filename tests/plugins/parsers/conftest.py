"""Fixtures for the parser tests: build parsers through the registry, generate real files.

No binary fixtures are committed: PDFs come from fpdf2 (encrypted ones via pypdf), Word files
from python-docx, workbooks from openpyxl.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.parser import Parser
from llamafarm_core.documents import ParseResult
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.parsers import make_source

Build = Callable[..., Parser]
Parse = Callable[..., ParseResult]


@pytest.fixture
def build(registry: Registry) -> Build:
    """``build("pdf", chunk_size=300)``: a parser from its YAML type and config, as the pipeline does."""

    def _build(type_name: str, **config: Any) -> Parser:
        parser = registry.build(PluginKind.PARSER, type_name, config)
        assert isinstance(parser, Parser)
        return parser

    return _build


@pytest.fixture
def parse(build: Build, tmp_path: Path) -> Parse:
    """``parse("csv", data, "x.csv", chunk_size=200)``: parse bytes stored under a hash name."""

    def _parse(type_name: str, data: bytes, filename: str, **config: Any) -> ParseResult:
        return build(type_name, **config).parse(make_source(tmp_path, data, filename))

    return _parse


def pdf_bytes(pages: Sequence[str]) -> bytes:
    """A PDF with one page per string (core font, so stay within latin-1)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    for text in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        if text:
            pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def encrypt_pdf(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def make_pdf() -> Callable[[Sequence[str]], bytes]:
    return pdf_bytes


@pytest.fixture
def make_encrypted_pdf() -> Callable[..., bytes]:
    return encrypt_pdf


def docx_bytes(items: Sequence[tuple[str, Any]], title: str | None = None) -> bytes:
    """``items``: ("h1".."h3", text), ("p", text) or ("table", [[cells], ...])."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for kind, value in items:
        if kind == "p":
            document.add_paragraph(value)
        elif kind.startswith("h"):
            document.add_heading(value, level=int(kind[1:]))
        elif kind == "table":
            table = document.add_table(rows=len(value), cols=len(value[0]))
            for r, row in enumerate(value):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = str(cell)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def make_docx() -> Callable[..., bytes]:
    return docx_bytes


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def make_xlsx() -> Callable[[dict[str, Sequence[Sequence[Any]]]], bytes]:
    return xlsx_bytes


LOREM = (
    "Llamas are social animals and live with others as a herd. Their wool is soft and contains "
    "only a small amount of lanolin. Llamas can learn simple tasks after a few repetitions. "
    "When using a pack, they can carry about 25 to 30 percent of their body weight for 8 to 13 km. "
)


def prose(paragraphs: int, marker: str = "") -> str:
    """Deterministic prose: ``paragraphs`` paragraphs, the ``marker`` sentence in the middle one."""
    out = []
    for i in range(paragraphs):
        text = f"Paragraph {i + 1}. " + LOREM
        if marker and i == paragraphs // 2:
            text += marker
        out.append(text.strip())
    return "\n\n".join(out)


@pytest.fixture
def make_prose() -> Callable[..., str]:
    return prose
