"""TableExtractor: pipe, grid, CSV/TSV and HTML tables found in text."""

from __future__ import annotations

import pytest

from llamafarm_core.testing.extractors import ExtractorContract

PIPE = """\
Results below.

| Drug | Dose (mg) | Patients |
|------|----------:|----------|
| A    | 10        | 120      |
| B    | 20        | 98       |
| C    | 40        | 77       |

End.
"""

GRID = """\
+--------+-------+
| Name   | Value |
+========+=======+
| alpha  | 1     |
+--------+-------+
| beta   | 2     |
| (long) |       |
+--------+-------+
"""

CSV = "city,population,area\nBoston,675647,48.4\nDenver,715522,153.3\nAustin,961855,322.5\n"
TSV = "id\tname\n1\tfoo\n2\tbar\n"
HTML = "<table><tr><th>K</th><th>V</th></tr><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2 &amp; 3</td></tr></table>"


class TestTablesContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("TableExtractor")

    @pytest.fixture
    def sample_texts(self, fda_text):
        return [PIPE, fda_text, GRID + "\n" + CSV]

    @pytest.fixture
    def expected_keys(self):
        return {"tables", "table_count"}


def tables(one, text, **config):
    return one("tables", text, **config)["tables"]


def test_pipe_table(one):
    [table] = tables(one, PIPE)
    assert table == {
        "format": "pipe",
        "headers": ["Drug", "Dose (mg)", "Patients"],
        "rows": [["A", "10", "120"], ["B", "20", "98"], ["C", "40", "77"]],
        "row_count": 3,
        "column_count": 3,
    }


def test_grid_table_joins_wrapped_cells(one):
    [table] = tables(one, GRID)
    assert table["format"] == "grid"
    assert table["headers"] == ["Name", "Value"]
    assert table["rows"] == [["alpha", "1"], ["beta (long)", "2"]]


def test_csv_and_tsv(one):
    [csv_table] = tables(one, CSV)
    assert csv_table["format"] == "csv"
    assert csv_table["headers"] == ["city", "population", "area"]
    assert csv_table["row_count"] == 3
    [tsv_table] = tables(one, TSV)
    assert (tsv_table["format"], tsv_table["headers"], tsv_table["rows"]) == (
        "tsv",
        ["id", "name"],
        [["1", "foo"], ["2", "bar"]],
    )


def test_html_table(one):
    [table] = tables(one, HTML)
    assert table["headers"] == ["K", "V"]
    assert table["rows"] == [["a", "1"], ["b", "2 & 3"]]


def test_prose_with_commas_is_not_a_table(one, fda_text, aero_text):
    prose = "Red, green, and blue.\nOne, two, and three.\nHere, there, and everywhere.\n"
    assert tables(one, prose + fda_text + aero_text) == []


def test_rows_are_capped_but_counted(one):
    text = "a,b\n" + "".join(f"x{i},{i}\n" for i in range(50))
    [table] = tables(one, text, max_rows=2, max_cell_length=10)
    assert table["row_count"] == 50 and len(table["rows"]) == 2


def test_options(one):
    assert tables(one, PIPE, min_rows=4) == []
    assert tables(one, PIPE, min_columns=4) == []
    assert tables(one, PIPE + CSV, table_formats=["csv"])[0]["format"] == "csv"
    assert len(tables(one, HTML, table_formats=["html_marker"])) == 1
    [no_headers] = tables(one, PIPE, detect_headers=False)
    assert no_headers["headers"] == [] and no_headers["row_count"] == 4


def test_several_tables(one):
    meta = one("tables", PIPE + "\n" + GRID + "\n" + CSV)
    assert [t["format"] for t in meta["tables"]] == ["grid", "pipe", "csv"]
    assert meta["table_count"] == 3
