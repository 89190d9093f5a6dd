"""Filters as SQL over the lexical index's metadata JSON keep what ``matches`` keeps, also
for strings JSON escapes (the SQL looks for the value's JSON text before parsing a row)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from llamafarm_core.lexical.filter_sql import filters_sql
from llamafarm_core.lexical.index import LexicalIndex
from llamafarm_core.retrieval.filters import matches
from llamafarm_core.vectors import ChunkRecord, FilterCondition, FilterOp

VALUES = ['say "hi"', "back\\slash", "café", "naïve 🦙", "tab\there", "café au lait", "caf", "1", ""]


def stored(ix: LexicalIndex, filters: list[FilterCondition]) -> set[str]:
    found = ix.matching(filters, scan=True)
    assert found is not None and found.chunk_ids is not None
    return set(found.chunk_ids)


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    records = [ChunkRecord(f"c{i}", "text", [], {"file_hash": "f", "label": v}) for i, v in enumerate(VALUES)]
    records.append(ChunkRecord("n1", "text", [], {"file_hash": "f", "label": 1}))
    records.append(ChunkRecord("none", "text", [], {"file_hash": "f"}))
    ix.add(records)
    return ix


def expected(ix: LexicalIndex, filters: list[FilterCondition]) -> set[str]:
    every = ix.get([f"c{i}" for i in range(len(VALUES))] + ["n1", "none"])
    return {cid for cid, hit in every.items() if matches(hit.metadata, filters)}


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("op", [FilterOp.EQ, FilterOp.NE, FilterOp.IN, FilterOp.NIN])
def test_string_filters_keep_what_matches_keeps(index: LexicalIndex, value: str, op: FilterOp) -> None:
    filters = [FilterCondition("label", op, [value, "caf"] if op in (FilterOp.IN, FilterOp.NIN) else value)]
    want = expected(index, filters)
    assert stored(index, filters) == want
    if op is FilterOp.EQ:
        assert want == {f"c{VALUES.index(value)}"}


def test_values_written_by_sqlites_json_functions_match_too(index: LexicalIndex) -> None:
    """SQLite writes non-ASCII as UTF-8 where Python writes \\u escapes: both are found."""
    with closing(sqlite3.connect(index.path)) as conn, conn:
        conn.execute(
            "UPDATE docs SET metadata = json_set(metadata, '$.label', 'naïve 🦙') WHERE chunk_id = 'c0'"
        )
        conn.execute("UPDATE changes SET n = n + 1, removed = removed + 1")
    assert stored(index, [FilterCondition("label", FilterOp.EQ, "naïve 🦙")]) == {"c0", "c3"}
    ne = [FilterCondition("label", FilterOp.NE, "naïve 🦙")]
    assert stored(index, ne) == expected(index, ne) and not {"c0", "c3"} & stored(index, ne)


# Values stored under each indexed key (None: the chunk has no such key), and conditions on it.
INDEXED_VALUES: dict[str, list[object]] = {
    "file_hash": ["fa", "fa", "fb", "fc", "", 7, None],
    "filename": ["a.txt", "a.txt", "b.pdf", "café.md", "", 7, None, True],
}


@pytest.mark.parametrize(
    "condition",
    [
        FilterCondition("file_hash", FilterOp.EQ, "fb"),
        FilterCondition("file_hash", FilterOp.EQ, ""),  # the column of a chunk without one is ""
        FilterCondition("file_hash", FilterOp.IN, ["fa", "fc", "nope"]),
        FilterCondition("file_hash", FilterOp.IN, ["fa", 7]),
        FilterCondition("file_hash", FilterOp.EQ, 7),
        FilterCondition("file_hash", FilterOp.NE, "fa"),
        FilterCondition("file_hash", FilterOp.NIN, ["fa", "fb"]),
        FilterCondition("filename", FilterOp.EQ, "a.txt"),
        FilterCondition("filename", FilterOp.EQ, "café.md"),
        FilterCondition("filename", FilterOp.EQ, ""),
        FilterCondition("filename", FilterOp.IN, ["a.txt", "b.pdf", "nope"]),
        FilterCondition("filename", FilterOp.IN, ["a.txt", 7]),
        FilterCondition("filename", FilterOp.EQ, 7),
        FilterCondition("filename", FilterOp.NE, "a.txt"),
        FilterCondition("filename", FilterOp.NIN, ["a.txt", "b.pdf"]),
    ],
)
def test_indexed_key_filters_keep_what_matches_keeps(tmp_path: Path, condition: FilterCondition) -> None:
    """(Through the file_hash column's index, or docs_filename, where the filter allows it.)"""
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    values = INDEXED_VALUES[condition.key]
    ix.add(
        [
            ChunkRecord(f"c{i}", "text", [], {"page": i} | ({} if v is None else {condition.key: v}))
            for i, v in enumerate(values)
        ]
    )
    every = ix.get([f"c{i}" for i in range(len(values))])
    want = {cid for cid, hit in every.items() if matches(hit.metadata, [condition])}
    assert stored(ix, [condition]) == want
    assert stored(ix, [condition, FilterCondition("page", FilterOp.GTE, 1)]) == want - {"c0"}


def _plan(path: Path, filters: list[FilterCondition]) -> str:
    """SQLite's plan for the scan a filter set makes (filter_sets._scan's query)."""
    where, params = filters_sql(filters)
    query = f"SELECT d.id, d.chunk_id FROM docs d WHERE d.id > ? AND d.id <= ?{where} ORDER BY d.id LIMIT ?"
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {query}", (0, 10**9, *params, 10)).fetchall()
    return " | ".join(str(r[-1]) for r in rows)


def test_one_file_is_found_by_name_or_hash_through_an_index(tmp_path: Path) -> None:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add(
        [
            ChunkRecord(f"c{i}", "text", [], {"filename": f"f{i // 4}.txt", "file_hash": f"h{i // 4}"})
            for i in range(40)
        ]
    )
    assert "USING INDEX docs_filename" in _plan(ix.path, [FilterCondition("filename", FilterOp.EQ, "f3.txt")])
    assert "USING INDEX docs_filename" in _plan(
        ix.path, [FilterCondition("filename", FilterOp.IN, ["f3.txt", "f5.txt"])]
    )
    assert "USING INDEX docs_file " in _plan(ix.path, [FilterCondition("file_hash", FilterOp.EQ, "h3")]) + " "
    # anything else reads the rows themselves
    assert "INDEX" not in _plan(ix.path, [FilterCondition("filename", FilterOp.NE, "f3.txt")])
    assert stored(ix, [FilterCondition("filename", FilterOp.EQ, "f3.txt")]) == {"c12", "c13", "c14", "c15"}


def test_an_index_of_schema_4_gains_the_filename_index(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite"
    LexicalIndex(path).add([ChunkRecord(f"c{i}", "text", [], {"filename": f"f{i}.txt"}) for i in range(5)])
    with closing(sqlite3.connect(path)) as conn, conn:  # as schema 4 left it
        conn.execute("DROP INDEX docs_filename")
        conn.execute("PRAGMA user_version = 4")
    ix = LexicalIndex(path)
    assert stored(ix, [FilterCondition("filename", FilterOp.EQ, "f2.txt")]) == {"c2"}
    assert "USING INDEX docs_filename" in _plan(path, [FilterCondition("filename", FilterOp.EQ, "f2.txt")])
