"""PDF files with pypdf: text per page, ``page`` (1-based) on every chunk."""

from __future__ import annotations

import io
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import (
    PAGE,
    ParseFailed,
    ParseResult,
    SourceFile,
    TextChunk,
    base_name,
    normalize_text,
)
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig, Region, RegionIndex


class PdfConfig(BuiltinParserConfig):
    chunk_strategy: str = Field(
        "pages",
        description="pages (default: never across pages; a long page is split by paragraphs), "
        "paragraphs, sentences or characters (these pack across pages).",
    )


_DOC_INFO = {
    "/Title": "title",
    "/Author": "author",
    "/Subject": "subject",
    "/Creator": "creator",
    "/Producer": "producer",
    "/CreationDate": "creation_date",
}


class PdfParser(BuiltinParser[PdfConfig]):
    """PDF text (not images: a scanned PDF without a text layer fails with a clear reason)."""

    name = "pdf"
    aliases = ("PDFParser_PyPDF2", "PDFParser_LlamaIndex")
    extensions = (".pdf",)
    strategies = ("pages", "paragraphs", "sentences", "characters")
    ignored_keys = frozenset(
        {
            "preserve_layout",
            "extract_page_info",
            "extract_annotations",
            "extract_links",
            "extract_form_fields",
            "extract_outlines",
            "extract_images",
            "extract_xmp_metadata",
            "extract_tables",
            "clean_text",
            "combine_pages",
            "fallback_strategies",
        }
    )

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        name = base_name(source.filename)
        reader = _open(data, name)
        warnings: list[str] = []
        parts: list[str] = []
        regions: list[Region] = []
        offset = 0
        blank: list[int] = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = normalize_text(page.extract_text() or "")
            except Exception as err:  # pypdf raises many types on damaged content streams
                warnings.append(f"page {number}: text could not be extracted ({type(err).__name__}: {err})")
                continue
            if not text.strip():
                blank.append(number)
                continue
            if parts:
                offset += 2
            regions.append(Region(offset, {PAGE: number}))
            parts.append(text)
            offset += len(text)
        page_count = len(reader.pages)
        if not parts:
            raise ParseFailed(
                f"{name} has no extractable text ({page_count} page(s)); is it a scanned PDF? "
                "Run OCR on it (for example with ocrmypdf) and upload the result"
            )
        if blank:
            warnings.append(f"no text on page(s) {_ranges(blank)} (images or scans are not read)")
        index = RegionIndex(regions)

        def page_end(tc: TextChunk) -> dict[str, Any]:
            return {"page_end": index.metadata_at(tc.end - 1)[PAGE]}

        chunks = self.text_chunks(
            "\n\n".join(parts), strategy, regions, extra=page_end, headings_as_sections=False
        )
        metadata: dict[str, Any] = {"page_count": page_count}
        if self.config.extract_metadata:
            metadata.update(_document_info(reader))
        return ParseResult(chunks, warnings, metadata)


def _open(data: bytes, name: str) -> Any:
    """A PdfReader, decrypted with the empty password when encrypted."""
    if b"%PDF-" not in data[:1024]:
        raise ParseFailed(f"{name} is not a valid PDF (no %PDF header); is the file damaged or mis-named?")
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise ParseFailed(
                f"encrypted PDF: {name} needs a password to open; remove the password and upload it again"
            )
        len(reader.pages)  # reads the page tree: a broken one fails here, not mid-way
    except ParseFailed:
        raise
    except pypdf.errors.DependencyError as err:
        raise ParseFailed(f"encrypted PDF: {name} can't be decrypted here ({err})") from None
    except Exception as err:
        raise ParseFailed(f"{name} is not a valid PDF ({type(err).__name__}: {err})") from None
    return reader


def _document_info(reader: Any) -> dict[str, Any]:
    try:
        info = reader.metadata or {}
    except Exception:  # a damaged info dictionary shouldn't lose the text
        return {}
    out = {}
    for key, name in _DOC_INFO.items():
        value = info.get(key)
        if value:
            out[name] = str(value).strip()
    return out


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``1-3, 7``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
