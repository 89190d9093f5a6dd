"""The .docx parser: paragraphs, Heading styles as sections, tables as text rows."""

from __future__ import annotations

import random

import pytest

from llamafarm_core.errors import ParseFailed
from llamafarm_core.testing.parsers import ParserContract, ParserSample

MARKER = "The herd moved to the northern pasture in spring."

ITEMS = [
    ("h1", "Annual report"),
    ("p", "This report covers the herd in detail."),
    ("h2", "Health"),
    ("p", "All animals were vaccinated."),
    ("table", [["Name", "Age", "Weight"], ["Dolly", "4", "120"], ["Pablo", "7", "140"]]),
    ("h2", "Grazing"),
    ("p", MARKER),
]


class TestDocxParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("DocxParser_PythonDocx", chunk_size=200, chunk_overlap=20)

    @pytest.fixture
    def sample(self, make_docx) -> ParserSample:
        filler = [
            ("p", f"Paragraph {i} talks about llamas and their keepers at some length.") for i in range(8)
        ]
        return ParserSample(make_docx(ITEMS + filler, title="Report"), "report.docx", MARKER)


def test_paragraphs_tables_and_headings_in_document_order(parse, make_docx) -> None:
    result = parse(
        "docx", make_docx(ITEMS, title="Herd report"), "r.docx", chunk_strategy="sections", chunk_size=1000
    )
    texts = [c.text for c in result.chunks]
    assert texts[0] == "Annual report\n\nThis report covers the herd in detail."
    assert (
        texts[1]
        == "Health\n\nAll animals were vaccinated.\n\nName | Age | Weight\nDolly | 4 | 120\nPablo | 7 | 140"
    )
    assert texts[2] == f"Grazing\n\n{MARKER}"
    assert [c.metadata["section"] for c in result.chunks] == [
        "Annual report",
        "Annual report > Health",
        "Annual report > Grazing",
    ]
    assert result.metadata["title"] == "Herd report"


def test_extract_tables_false_leaves_tables_out(parse, make_docx) -> None:
    result = parse("docx", make_docx(ITEMS), "r.docx", extract_tables=False)
    assert all("Dolly" not in c.text for c in result.chunks)


def test_ignored_keys_of_the_original_are_accepted(registry) -> None:
    from llamafarm_core.components.kinds import PluginKind

    built = registry.validate_config(
        PluginKind.PARSER,
        "DocxParser_LlamaIndex",
        {"extract_headers_footers": True, "preserve_formatting": True},
    )
    assert len(built.warnings) == 2


def test_not_a_docx(parse) -> None:
    with pytest.raises(ParseFailed, match="not a valid Word .docx file"):
        parse("docx", random.Random(5).randbytes(3000), "x.docx")


def test_zip_that_is_not_a_docx(parse) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ParseFailed, match="not a valid Word .docx file"):
        parse("docx", buf.getvalue(), "x.docx")


def test_legacy_doc_gets_a_hint(parse) -> None:
    with pytest.raises(ParseFailed, match="legacy .doc"):
        parse("docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.docx")


def test_document_with_no_text_fails(parse, make_docx) -> None:
    with pytest.raises(ParseFailed, match="no text found"):
        parse("docx", make_docx([("p", "")]), "empty.docx")
