"""The PDF parser: pages on every chunk, real chunking, encrypted/damaged/scanned PDFs."""

from __future__ import annotations

import random

import pytest

from llamafarm_core.errors import ParseFailed
from llamafarm_core.testing.parsers import ParserContract, ParserSample

MARKER = "The FDA warning letter cites three violations."


def page_text(n: int, marker: str = "") -> str:
    body = " ".join(f"Page {n} sentence {i} describes the inspection findings in detail." for i in range(12))
    return f"{body} {marker}".strip()


class TestPdfParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("PDFParser_PyPDF2", chunk_size=400, chunk_overlap=50)

    @pytest.fixture
    def sample(self, make_pdf) -> ParserSample:
        return ParserSample(
            make_pdf([page_text(1), page_text(2, MARKER), page_text(3)]), "letter.pdf", MARKER
        )


def test_every_chunk_has_its_page_and_long_pages_make_several_chunks(parse, make_pdf) -> None:
    data = make_pdf([page_text(1), page_text(2), page_text(3)])
    result = parse("pdf", data, "x.pdf", chunk_size=300, chunk_overlap=30)
    assert len(result.chunks) > 3  # not one chunk per PDF (a bug of the original)
    pages = [c.metadata["page"] for c in result.chunks]
    assert pages == sorted(pages) and set(pages) == {1, 2, 3}
    for c in result.chunks:
        assert f"Page {c.metadata['page']} sentence" in c.text
        assert c.metadata["page_end"] == c.metadata["page"]  # default strategy: pages
        assert len(c.text) <= 300
    assert result.metadata["page_count"] == 3
    assert result.warnings == []


def test_pages_strategy_gives_one_chunk_per_page_when_it_fits(parse, make_pdf) -> None:
    data = make_pdf(["Alpha page text.", "Beta page text.", "Gamma page text."])
    result = parse("pdf", data, "x.pdf", chunk_strategy="pages", chunk_size=1000)
    assert [(c.text, c.metadata["page"]) for c in result.chunks] == [
        ("Alpha page text.", 1),
        ("Beta page text.", 2),
        ("Gamma page text.", 3),
    ]


def test_paragraph_strategy_packs_across_pages_and_records_both_ends(parse, make_pdf) -> None:
    data = make_pdf(["Alpha page text.", "Beta page text.", "Gamma page text."])
    result = parse(
        "PDFParser_PyPDF2", data, "x.pdf", chunk_strategy="paragraphs", chunk_size=1000, chunk_overlap=0
    )
    assert len(result.chunks) == 1
    assert result.chunks[0].metadata == {"page": 1, "page_end": 3}


def test_semantic_strategy_of_the_original_falls_back_with_a_warning(parse, make_pdf) -> None:
    result = parse("PDFParser_LlamaIndex", make_pdf([page_text(1)]), "x.pdf", chunk_strategy="semantic")
    assert result.warnings == ["chunk_strategy 'semantic' is not implemented; using 'paragraphs' instead"]
    assert all("page" in c.metadata for c in result.chunks)


def test_document_info_goes_to_the_result_metadata(parse) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Inspection report")
    pdf.set_author("Jane Doe")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Body text.")
    result = parse("pdf", bytes(pdf.output()), "r.pdf")
    assert result.metadata["title"] == "Inspection report"
    assert result.metadata["author"] == "Jane Doe"


def test_random_bytes_named_pdf_fail_as_not_a_valid_pdf(parse) -> None:
    with pytest.raises(ParseFailed, match="not a valid PDF"):
        parse("pdf", random.Random(1).randbytes(5000), "fake.pdf")


def test_truncated_pdf_fails_as_not_a_valid_pdf(parse, make_pdf) -> None:
    data = make_pdf([page_text(1)])
    with pytest.raises(ParseFailed, match="not a valid PDF"):
        parse("pdf", data[:300], "cut.pdf")


def test_encrypted_pdf_with_empty_user_password_is_decrypted(parse, make_pdf, make_encrypted_pdf) -> None:
    data = make_encrypted_pdf(make_pdf([page_text(1, MARKER)]), user_password="")
    result = parse("pdf", data, "locked.pdf")
    assert any(MARKER in " ".join(c.text.split()) for c in result.chunks)


def test_encrypted_pdf_needing_a_password_fails_clearly(parse, make_pdf, make_encrypted_pdf) -> None:
    data = make_encrypted_pdf(make_pdf([page_text(1)]), user_password="s3cret")
    with pytest.raises(ParseFailed, match="encrypted PDF") as info:
        parse("pdf", data, "locked.pdf")
    assert "password" in info.value.message


def test_pdf_without_text_fails_suggesting_ocr(parse, make_pdf) -> None:
    with pytest.raises(ParseFailed, match="no extractable text") as info:
        parse("pdf", make_pdf(["", ""]), "scan.pdf")
    assert "scanned" in info.value.message and "2 page" in info.value.message


def test_blank_pages_among_text_pages_are_reported(parse, make_pdf) -> None:
    result = parse("pdf", make_pdf(["First page.", "", "", "Fourth page."]), "gaps.pdf")
    assert [c.metadata["page"] for c in result.chunks] == [1, 4]
    assert result.warnings == ["no text on page(s) 2-3 (images or scans are not read)"]


def test_pdf_is_recognised_by_original_name_not_stored_name(parse, make_pdf) -> None:
    # the blob is stored without extension; "auto" must still route it to the PDF parser
    result = parse("auto", make_pdf([page_text(1)]), "Upload.PDF")
    assert result.chunks[0].metadata["page"] == 1


def test_pypdf_is_not_imported_by_registration() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from llamafarm_core.plugins import build_registry, get_plugin_manager\n"
        "build_registry(get_plugin_manager())\n"
        "print(sorted(m for m in ('pypdf', 'docx', 'openpyxl') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
