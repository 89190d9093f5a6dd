"""``auto`` and ``DirectoryParser``: the built-in parser for each extension."""

from __future__ import annotations

import json

import pytest
from llamafarm_parsers.auto_parser import AutoParser

from llamafarm_core.errors import ParseFailed
from llamafarm_core.testing.parsers import ParserContract, ParserSample

MARKER = "Auto routing picked the markdown parser."


class TestAutoParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("auto", chunk_size=300, chunk_overlap=50)

    @pytest.fixture
    def sample(self, make_prose) -> ParserSample:
        return ParserSample(("# Title\n\n" + make_prose(6, MARKER)).encode(), "notes.md", MARKER)


def test_directory_parser_is_auto(build) -> None:
    assert isinstance(build("DirectoryParser"), AutoParser)


def test_routes_by_extension(parse, make_pdf, make_xlsx) -> None:
    assert parse("auto", make_pdf(["A page."]), "x.pdf").chunks[0].metadata["page"] == 1
    assert parse("auto", make_xlsx({"S": [["h"], ["v"]]}), "x.xlsx").chunks[0].metadata["sheet"] == "S"
    assert parse("auto", b"a,b\n1,2\n", "x.csv").chunks[0].metadata["row_start"] == 2
    assert parse("auto", json.dumps([{"k": 1}]).encode(), "x.json").chunks[0].text == "k: 1"
    assert parse("auto", b"def f():\n    pass\n", "x.py").chunks[0].metadata["language"] == "python"
    assert parse("auto", b"<h1>T</h1><p>x</p>", "x.html").chunks[0].metadata["heading"] == "T"


def test_options_given_to_auto_are_passed_on(parse, make_prose) -> None:
    text = make_prose(10).encode()
    result = parse("auto", text, "a.txt", chunk_size=150, chunk_overlap=10, chunk_strategy="sentences")
    assert all(len(c.text) <= 150 for c in result.chunks)
    assert all(c.text.rstrip().endswith(".") for c in result.chunks)


def test_unset_strategy_uses_each_parsers_default(parse) -> None:
    result = parse("auto", b"a,b\n1,2\n", "x.csv")
    assert result.warnings == []  # csv's own default (rows), not a text strategy


def test_unknown_extension_fails_with_the_supported_list(parse) -> None:
    with pytest.raises(ParseFailed, match=r"unsupported file type '\.xyz'") as info:
        parse("auto", b"data", "file.xyz")
    assert ".pdf" in info.value.message


def test_no_extension_is_read_as_text(parse) -> None:
    assert parse("auto", b"just words", "README").chunks[0].text == "just words"
