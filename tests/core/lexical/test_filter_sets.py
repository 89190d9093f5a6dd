"""The chunks a filter keeps, remembered per index state: scanned once, extended by the
rows added since, scanned again after a removal, "many" past SMALL, bounded in number."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from llamafarm_core.lexical import filter_sets as filter_sets_module
from llamafarm_core.lexical.filter_sets import FilterSet, filter_key, filter_sets
from llamafarm_core.lexical.index import LexicalIndex
from llamafarm_core.vectors import ChunkRecord, FilterCondition, FilterOp

F = FilterCondition
ODD = [F("kind", FilterOp.EQ, "odd")]
LOW = [F("n", FilterOp.LT, 4)]


def rec(n: int) -> ChunkRecord:
    return ChunkRecord(
        f"c{n}", f"text {n}", [], {"file_hash": f"f{n}", "n": n, "kind": "odd" if n % 2 else "even"}
    )


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add([rec(n) for n in range(10)])
    return ix


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rowid each scan started after (0: the whole index)."""
    after: list[int] = []
    real = filter_sets_module._scan

    def counting(conn: sqlite3.Connection, filters: list[FilterCondition], known: FilterSet | None, tag):  # type: ignore[no-untyped-def]
        after.append(known.last_rowid if known is not None else 0)
        return real(conn, filters, known, tag)

    monkeypatch.setattr(filter_sets_module, "_scan", counting)
    return after


def ids(found: FilterSet | None) -> list[str]:
    assert found is not None and found.chunk_ids is not None
    return list(found.chunk_ids)


def test_scanned_once_then_remembered(index: LexicalIndex, scans: list[int]) -> None:
    assert index.matching(ODD, scan=False) is None  # nothing remembered, nothing scanned
    assert scans == []
    assert ids(index.matching(ODD, scan=True)) == ["c1", "c3", "c5", "c7", "c9"]
    assert ids(index.matching(ODD, scan=False)) == ["c1", "c3", "c5", "c7", "c9"]
    assert ids(index.matching(list(reversed([*ODD, *LOW])), scan=True)) == ["c1", "c3"]
    assert ids(index.matching([*ODD, *LOW], scan=True)) == ["c1", "c3"]  # the same filter, in any order
    assert scans == [0, 0]
    found = index.matching(ODD, scan=False)
    assert found is not None and found.rows == 10 and not found.many


def test_rows_added_since_are_scanned_alone(index: LexicalIndex, scans: list[int]) -> None:
    first = index.matching(ODD, scan=True)
    assert first is not None
    LexicalIndex(index.path).add([rec(11), rec(12)])  # another handle: a worker's write
    assert ids(index.matching(ODD, scan=False)) == ["c1", "c3", "c5", "c7", "c9", "c11"]
    assert scans == [0, first.last_rowid]
    found = index.matching(ODD, scan=False)
    assert found is not None and found.rows == 12


def test_a_removal_means_a_new_scan(index: LexicalIndex, scans: list[int]) -> None:
    index.matching(ODD, scan=True)
    LexicalIndex(index.path).delete(["c3"])
    assert index.matching(ODD, scan=False) is None  # not current, and not scanned here
    assert ids(index.matching(ODD, scan=True)) == ["c1", "c5", "c7", "c9"]
    LexicalIndex(index.path).add([rec(5)])  # written again: removed and re-added
    assert ids(index.matching(ODD, scan=True)) == ["c1", "c7", "c9", "c5"]  # by rowid
    assert scans == [0, 0, 0]


def test_a_query_that_saw_an_earlier_state_keeps_to_it(index: LexicalIndex, scans: list[int]) -> None:
    """Concurrent queries while a worker writes: a read transaction that began before a
    write neither takes nor replaces the set a later one remembered."""
    odd = ["c1", "c3", "c5", "c7", "c9"]
    with closing(sqlite3.connect(index.path, isolation_level=None)) as old:
        old.execute("BEGIN")
        old.execute("SELECT count(*) FROM docs").fetchone()  # its snapshot: before the write
        LexicalIndex(index.path).add([rec(11)])
        assert ids(index.matching(ODD, scan=True)) == [*odd, "c11"]
        assert filter_sets().held(index.path, ODD, old) is None
        assert ids(filter_sets().get(index.path, ODD, old)) == odd  # scanned at its own state
        old.execute("COMMIT")
    assert ids(index.matching(ODD, scan=False)) == [*odd, "c11"]  # the later set stays
    LexicalIndex(index.path).add([rec(13)])
    assert ids(index.matching(ODD, scan=False)) == [*odd, "c11", "c13"]
    assert scans == [0, 0, 11]  # the later set was kept, then extended past row 11 alone


def test_more_than_small_are_remembered_as_many(
    index: LexicalIndex, scans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filter_sets_module, "SMALL", 4)
    found = index.matching(ODD, scan=True)
    assert found is not None and found.many and found.chunk_ids is None
    assert ids(index.matching(LOW, scan=True)) == ["c0", "c1", "c2", "c3"]
    LexicalIndex(index.path).add([rec(13)])
    assert index.matching(LOW, scan=False) is not None  # extended: c13 is not low
    again = index.matching(ODD, scan=False)
    assert again is not None and again.many
    LexicalIndex(index.path).add([rec(-1)])  # LOW now keeps 5: past SMALL when extended
    low = index.matching(LOW, scan=False)
    assert low is not None and low.many
    assert scans == [0, 0, 10, 10, 11]  # the "many" extended without a scan of the old rows


def test_two_threads_wanting_one_set_scan_once(
    index: LexicalIndex, scans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = filter_sets_module._scan

    def slow(*args):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return real(*args)

    monkeypatch.setattr(filter_sets_module, "_scan", slow)
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda _: ids(index.matching(ODD, scan=True)), range(2)))
    assert both == [["c1", "c3", "c5", "c7", "c9"]] * 2
    assert scans == [0]


def test_an_index_without_a_change_counter_has_no_sets(index: LexicalIndex) -> None:
    with closing(sqlite3.connect(index.path)) as conn, conn:
        conn.execute("DELETE FROM changes")
    assert index.matching(ODD, scan=True) is None


def test_the_least_recently_used_set_goes_first(
    index: LexicalIndex, scans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filter_sets_module, "MAX_SETS", 2)
    for filters in (ODD, LOW, ODD, [F("n", FilterOp.GT, 7)]):
        index.matching(filters, scan=True)
    assert index.matching(ODD, scan=False) is not None
    assert index.matching(LOW, scan=False) is None  # dropped: used longest ago
    assert filter_key(ODD) != filter_key(LOW)


def test_sets_are_per_index(tmp_path: Path) -> None:
    one, two = (
        LexicalIndex(tmp_path / "one" / "lexical.sqlite"),
        LexicalIndex(tmp_path / "two" / "lexical.sqlite"),
    )
    one.add([rec(1)])
    two.add([rec(2), rec(3)])
    assert ids(one.matching(ODD, scan=True)) == ["c1"]
    assert ids(two.matching(ODD, scan=True)) == ["c3"]
    filter_sets().forget()
    assert one.matching(ODD, scan=False) is None
