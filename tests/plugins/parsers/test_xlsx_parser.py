"""The .xlsx parser: per sheet, rows like csv, header repeated, Excel row numbers."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from llamafarm_core.errors import ParseFailed
from llamafarm_core.testing.parsers import ParserContract, ParserSample


def herd(n: int) -> list[list[object]]:
    return [["id", "name", "born", "weight"]] + [
        [i, f"animal-{i}", dt.date(2020, 1 + i % 12, 1), 100.0 + i] for i in range(1, n + 1)
    ]


class TestXlsxParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("ExcelParser_OpenPyXL", chunk_size=200, chunk_overlap=0)

    @pytest.fixture
    def sample(self, make_xlsx) -> ParserSample:
        return ParserSample(
            make_xlsx({"Herd": herd(30), "Notes": [["note"], ["fed at noon"]]}),
            "herd.xlsx",
            "7,animal-7,2020-08-01,107",
        )


def test_sheets_rows_and_header(parse, make_xlsx) -> None:
    data = make_xlsx({"Herd": herd(40), "Vets": [["vet", "phone"], ["Dr. Ruiz", "555-0101"]]})
    result = parse("xlsx", data, "h.xlsx", chunk_size=200)
    herd_chunks = [c for c in result.chunks if c.metadata["sheet"] == "Herd"]
    assert len(herd_chunks) > 3
    assert all(c.text.startswith("id,name,born,weight\n") and len(c.text) <= 200 for c in herd_chunks)
    assert herd_chunks[0].metadata["row_start"] == 2
    assert herd_chunks[-1].metadata["row_end"] == 41
    assert "1,animal-1,2020-02-01,101" in herd_chunks[0].text  # dates ISO, whole floats as ints
    vets = [c for c in result.chunks if c.metadata["sheet"] == "Vets"]
    assert [c.text for c in vets] == ["vet,phone\nDr. Ruiz,555-0101"]
    assert result.metadata["sheets"] == ["Herd", "Vets"]


def test_sheets_option_selects_and_warns_about_missing_ones(parse, make_xlsx) -> None:
    data = make_xlsx({"A": [["x"], ["1"]], "B": [["y"], ["2"]]})
    result = parse("ExcelParser_Pandas", data, "s.xlsx", sheets=["B", "Nope"])
    assert {c.metadata["sheet"] for c in result.chunks} == {"B"}
    assert result.warnings == ["sheet(s) not in s.xlsx: Nope (it has: A, B)"]


def test_blank_rows_are_skipped_and_row_numbers_stay_true(parse, make_xlsx) -> None:
    data = make_xlsx({"S": [["h1", "h2"], [None, None], ["a", "b"]]})
    result = parse("xlsx", data, "b.xlsx")
    assert result.chunks[0].text == "h1,h2\na,b"
    assert (result.chunks[0].metadata["row_start"], result.chunks[0].metadata["row_end"]) == (3, 3)


def test_ragged_sheet_rows_are_kept(parse, make_xlsx) -> None:
    data = make_xlsx({"S": [["a", "b"], ["1"], ["2", "3", "4"]]})
    assert parse("xlsx", data, "r.xlsx").chunks[0].text == "a,b\n1\n2,3,4"


def test_not_a_workbook(parse) -> None:
    with pytest.raises(ParseFailed, match="not a valid Excel .xlsx workbook"):
        parse("xlsx", random.Random(9).randbytes(2000), "x.xlsx")


def test_legacy_xls_gets_a_hint(parse) -> None:
    with pytest.raises(ParseFailed, match="legacy Excel .xls"):
        parse("xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.xlsx")


def test_empty_workbook_fails(parse, make_xlsx) -> None:
    with pytest.raises(ParseFailed, match="no text found"):
        parse("xlsx", make_xlsx({"Empty": []}), "e.xlsx")
