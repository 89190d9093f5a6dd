"""The CSV parser: rows per chunk, header in every chunk, ragged rows, delimiters."""

from __future__ import annotations

import pytest

from llamafarm_core.errors import ParseFailed
from llamafarm_core.testing.parsers import ParserContract, ParserSample

HEADER = "id,name,species,notes"


def rows(n: int) -> list[str]:
    return [f"{i},animal-{i},llama,lives on farm {i % 5}" for i in range(1, n + 1)]


class TestCsvParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("CSVParser_Python", chunk_size=200, chunk_overlap=0)

    @pytest.fixture
    def sample(self) -> ParserSample:
        data = "\n".join([HEADER, *rows(40)]) + "\n"
        return ParserSample(data.encode(), "herd.csv", "17,animal-17,llama,lives on farm 2")


def test_header_on_every_chunk_and_row_numbers(parse) -> None:
    data = ("\n".join([HEADER, *rows(50)]) + "\n").encode()
    result = parse("csv", data, "h.csv", chunk_size=200, chunk_overlap=0)
    assert len(result.chunks) > 5
    seen = []
    for chunk in result.chunks:
        lines = chunk.text.split("\n")
        assert lines[0] == HEADER
        assert len(chunk.text) <= 200
        assert chunk.metadata["row_end"] - chunk.metadata["row_start"] + 1 == len(lines) - 1
        seen.extend(lines[1:])
    assert seen == rows(50)
    assert result.chunks[0].metadata["row_start"] == 2  # row 1 is the header, as in a spreadsheet
    assert result.chunks[-1].metadata["row_end"] == 51
    assert result.metadata["columns"] == ["id", "name", "species", "notes"]
    assert result.metadata["row_count"] == 50


def test_ragged_rows_are_kept_with_a_warning(parse) -> None:
    data = b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"
    result = parse("CSVParser_Pandas", data, "r.csv")
    text = result.chunks[0].text
    assert text == "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12"
    assert result.warnings == [
        "2 row(s) have a different number of fields than the header (3): rows 3, 4; they are kept as they are"
    ]


@pytest.mark.parametrize(
    ("data", "name", "delimiter"),
    [(b"a\tb\n1\t2\n", "t.tsv", "\t"), (b"a;b\n1;2\n", "s.csv", ";"), (b"a|b\n1|2\n", "p.csv", "|")],
)
def test_delimiter_is_detected(parse, data: bytes, name: str, delimiter: str) -> None:
    result = parse("csv", data, name)
    assert result.metadata["delimiter"] == delimiter
    assert result.metadata["columns"] == ["a", "b"]
    assert result.chunks[0].text == f"a{delimiter}b\n1{delimiter}2"


def test_quoted_fields_with_commas_and_newlines_stay_one_row(parse) -> None:
    data = b'name,comment\n"Dolly","likes hay, oats\nand apples"\nPablo,plain\n'
    result = parse("csv", data, "q.csv")
    assert result.chunks[0].text == 'name,comment\nDolly,"likes hay, oats\nand apples"\nPablo,plain'
    assert result.metadata["row_count"] == 2


def test_cp1252_csv_decodes_with_a_warning(parse) -> None:
    data = "name,city\nJos\u00e9,S\u00e3o Paulo\n".encode("cp1252")
    result = parse("csv", data, "w.csv")
    assert "Jos\u00e9" in result.chunks[0].text
    assert any("cp1252" in w for w in result.warnings)


def test_header_only_fails_clearly(parse) -> None:
    with pytest.raises(ParseFailed, match="header row but no data rows"):
        parse("csv", b"a,b,c\n", "h.csv")


def test_has_header_false_repeats_nothing(parse) -> None:
    result = parse("csv", b"1,2\n3,4\n", "n.csv", has_header=False)
    assert result.chunks[0].text == "1,2\n3,4"
    assert result.chunks[0].metadata == {"row_start": 1, "row_end": 2}


def test_other_strategies_fall_back_to_rows(parse) -> None:
    result = parse("csv", b"a,b\n1,2\n", "x.csv", chunk_strategy="paragraphs")
    assert result.warnings == [
        "chunk_strategy 'paragraphs' does not apply to the csv parser; using 'rows' instead"
    ]


def test_binary_named_csv_fails(parse) -> None:
    with pytest.raises(ParseFailed, match="binary"):
        parse("csv", bytes(range(256)) * 4, "bin.csv")
