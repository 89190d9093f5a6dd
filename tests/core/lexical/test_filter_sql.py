"""Filters as SQL over the lexical index's metadata JSON keep what ``matches`` keeps, also
for strings JSON escapes (the SQL looks for the value's JSON text before parsing a row)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

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
    ],
)
def test_file_hash_filters_keep_what_matches_keeps(tmp_path: Path, condition: FilterCondition) -> None:
    """(Through the column's index where the filter allows it.)"""
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    hashes: list[object] = ["fa", "fa", "fb", "fc", "", 7, None]
    ix.add(
        [
            ChunkRecord(f"c{i}", "text", [], {"page": i} | ({} if h is None else {"file_hash": h}))
            for i, h in enumerate(hashes)
        ]
    )
    every = ix.get([f"c{i}" for i in range(len(hashes))])
    want = {cid for cid, hit in every.items() if matches(hit.metadata, [condition])}
    assert stored(ix, [condition]) == want
    assert stored(ix, [condition, FilterCondition("page", FilterOp.GTE, 1)]) == want - {"c0"}
