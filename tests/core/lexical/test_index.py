"""The persistent BM25 index: analysis, scoring, deletion, filters (same semantics as the
vector stores), persistence, migration, and several processes writing at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from llamafarm_core.lexical import index as index_module
from llamafarm_core.lexical.analyzer import analyze, query_terms
from llamafarm_core.lexical.index import LexicalIndex
from llamafarm_core.retrieval.filters import matches
from llamafarm_core.testing.stores import FILTER_CASES, MISSING_KEY_CASES, ROWS
from llamafarm_core.vectors import ChunkRecord, FilterCondition


def rec(cid: str, text: str, file_hash: str = "f1", **meta: object) -> ChunkRecord:
    return ChunkRecord(cid, text, [], {"file_hash": file_hash, **meta})


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add(
        [
            rec("a", "Wind turbines convert the kinetic energy of moving air into electricity.", "fw"),
            rec("b", "Solar panels convert sunlight into electricity; solar energy is renewable.", "fs"),
            rec("c", "The chess grandmaster sacrificed her queen.", "fc"),
            rec("d", "Honeybees dance to show where the flowers are.", "fb"),
        ]
    )
    return ix


def test_analyzer_stems_and_drops_stopwords() -> None:
    assert analyze("The Turbines were turning, and what flows?") == ["turbin", "turn", "flow"]
    assert query_terms("flows flow FLOWING the") == ["flow"]
    assert analyze("the of and") == []


def test_search_ranks_by_bm25_with_scores_in_unit_interval(index: LexicalIndex) -> None:
    hits = index.search("solar electricity", 10)
    assert [h.id for h in hits] == ["b", "a"]  # b has both terms (solar twice), a only one
    assert all(0.0 < h.score <= 1.0 for h in hits)
    assert hits[0].score > hits[1].score
    assert hits[0].metadata == {"file_hash": "fs"}
    assert hits[0].text.startswith("Solar panels")


def test_scores_are_absolute_not_relative_to_the_best_hit(index: LexicalIndex) -> None:
    # A chunk that matches one of two query terms is far from the best possible score.
    (only,) = index.search("queen xylophone", 10)
    assert only.id == "c" and only.score < 0.6
    # Stemming: "turbine" finds "turbines" and scores the same as the exact word form.
    assert index.search("turbine", 1)[0].score == pytest.approx(index.search("turbines", 1)[0].score)


def test_no_terms_or_no_match_gives_nothing(index: LexicalIndex) -> None:
    assert index.search("the of and", 5) == []
    assert index.search("zeppelin", 5) == []
    assert index.search("solar", 0) == []


def test_add_replaces_by_id_and_deletes_by_id_and_file(index: LexicalIndex) -> None:
    index.add([rec("c", "A zeppelin floated over the harbour.", "fc")])
    assert index.count() == 4
    assert [h.id for h in index.search("zeppelin", 5)] == ["c"]
    assert index.search("queen", 5) == []
    index.delete(["c"])
    assert index.search("zeppelin", 5) == [] and index.count() == 3
    index.add([rec("s2", "More solar cells on the roof.", "fs")])
    assert index.file_counts() == {"fw": 1, "fs": 2, "fb": 1}
    assert index.delete_file("fs") == 2
    assert index.search("solar", 5) == []
    assert index.count() == 2


def test_persistent_across_instances(index: LexicalIndex) -> None:
    again = LexicalIndex(index.path)
    assert again.count() == 4
    assert again.search("honeybees", 1)[0].id == "d"


def test_allowed_ids_restrict_results(index: LexicalIndex) -> None:
    assert [h.id for h in index.search("electricity", 5, allowed_ids={"a"})] == ["a"]


@pytest.fixture
def rows_index(tmp_path: Path) -> LexicalIndex:
    """The vector-store contract's rows, each with the same text so that only filters decide."""
    ix = LexicalIndex(tmp_path / "rows.sqlite")
    records = []
    for i, (fh, page, lang, weight, draft, tag) in enumerate(ROWS):
        meta: dict[str, object] = {"page": page, "lang": lang, "weight": weight, "draft": draft}
        if tag is not None:
            meta["tag"] = tag
        records.append(rec(f"r{i}", "common words here", fh, **meta))
    ix.add(records)
    return ix


@pytest.mark.parametrize(("label", "conditions", "expected"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_filters_mean_what_they_mean_in_the_stores(
    rows_index: LexicalIndex, label: str, conditions: list[FilterCondition], expected: list[int]
) -> None:
    hits = rows_index.search("common", 10, filters=conditions)
    assert sorted(int(h.id[1:]) for h in hits) == expected, label
    # ...and the Python matcher used for post-filtering agrees with the SQL.
    metas = [rows_index.search("common", 10, allowed_ids={f"r{i}"})[0].metadata for i in range(len(ROWS))]
    assert [i for i, m in enumerate(metas) if matches(m, conditions)] == expected, label


@pytest.mark.parametrize(("op", "value"), MISSING_KEY_CASES)
def test_filter_on_a_missing_key_matches_nothing(rows_index: LexicalIndex, op, value) -> None:  # type: ignore[no-untyped-def]
    assert rows_index.search("common", 10, filters=[FilterCondition("absent", op, value)]) == []


def test_migrates_a_version_one_index(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE VIRTUAL TABLE chunks USING fts5(chunk_id UNINDEXED, file_hash UNINDEXED, text, "
            "tokenize='porter unicode61')"
        )
        conn.execute("INSERT INTO chunks VALUES ('x:000000', 'x', 'Glaciers carve valleys slowly.')")
    ix = LexicalIndex(path)
    assert ix.count() == 1
    (hit,) = ix.search("glacier valley", 3)
    assert hit.id == "x:000000" and hit.metadata == {"file_hash": "x"}


WRITER = """
import sys
from pathlib import Path
from llamafarm_core.lexical.index import LexicalIndex
from llamafarm_core.vectors import ChunkRecord
ix = LexicalIndex(Path(sys.argv[1]))
tag = sys.argv[2]
for i in range(40):
    ix.add([ChunkRecord(f"{tag}-{i}", f"process {tag} wrote record {i}", [], {"file_hash": tag})])
"""


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag]) for tag in ("p1", "p2", "p3")]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    ix = LexicalIndex(path)
    assert ix.count() == 120
    assert ix.file_counts() == {"p1": 40, "p2": 40, "p3": 40}
    assert len(ix.search("p2", 100)) == 40


def test_get_returns_stored_chunks_by_id(index: LexicalIndex) -> None:
    got = index.get(["b", "missing", "a", "b"])
    assert set(got) == {"a", "b"}
    assert got["b"].text.startswith("Solar panels") and got["b"].metadata == {"file_hash": "fs"}
    assert got["a"].score == 1.0
    many = index.get([f"x{i}" for i in range(1200)] + ["c"])  # past SQLite's variable limit
    assert list(many) == ["c"]
    assert index.get([]) == {}


def test_the_switch_to_wal_waits_out_another_process_lock(tmp_path: Path) -> None:
    """SQLite can refuse the journal switch with "database is locked" (two processes
    creating one new index): it is retried until the other lets go."""
    path = tmp_path / "new.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM t").fetchall()  # a shared lock: no journal switch meanwhile
    threading.Timer(0.5, lambda: holder.execute("COMMIT")).start()
    with closing(sqlite3.connect(path, timeout=0.05, check_same_thread=False)) as conn:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            conn.execute("PRAGMA journal_mode=WAL")  # what SQLite alone does
        index_module._wal(conn)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    holder.close()
