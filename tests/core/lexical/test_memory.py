"""BM25 from postings in memory: the same hits and scores as FTS5, used only while current,
rebuilt in the background, bounded in memory."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from llamafarm_core.lexical import filter_sets as filter_sets_module
from llamafarm_core.lexical import index as index_module
from llamafarm_core.lexical import memory as memory_module
from llamafarm_core.lexical.index import LexicalIndex
from llamafarm_core.lexical.memory import memory
from llamafarm_core.vectors import ChunkRecord, FilterCondition, FilterOp, SearchHit
from tests.conftest import FIXTURES


def cranfield(n: int) -> list[tuple[str, str]]:
    """(id, text) of the first ``n`` Cranfield abstracts (the .W field)."""
    records = (FIXTURES / "cranfield" / "cran.all.1400").read_text().split("\n.I ")
    return [(r.removeprefix(".I ").split()[0], r.split("\n.W\n", 1)[1]) for r in records[:n]]


def queries(n: int) -> list[str]:
    records = (FIXTURES / "cranfield" / "cran.qry").read_text().split("\n.I ")
    return [r.split("\n.W\n", 1)[1].replace("\n", " ") for r in records[:n]]


def rec(cid: str, text: str, file_hash: str = "f1", **meta: object) -> ChunkRecord:
    return ChunkRecord(cid, text, [], {"file_hash": file_hash, **meta})


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "256")
    memory().forget()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many searches FTS5 answered (the rest came from memory)."""
    counts = {"fts": 0}
    original = index_module._from_fts

    def counting(*args: object) -> list[SearchHit]:
        counts["fts"] += 1
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "_from_fts", counting)
    return counts


@pytest.fixture
def cran_index(tmp_path: Path) -> LexicalIndex:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add([rec(f"c{doc_id}", text, f"f{doc_id}") for doc_id, text in cranfield(400)])
    return ix


def answers(ix: LexicalIndex, qs: list[str], k: int = 20) -> list[list[tuple[str, float]]]:
    return [[(h.id, h.score) for h in ix.search(q, k)] for q in qs]


def test_same_hits_and_scores_as_fts5(
    cran_index: LexicalIndex, served: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    qs = queries(60)
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "0")
    from_fts = answers(cran_index, qs)
    assert served["fts"] == len(qs)
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "256")
    assert memory().build_now(cran_index.path) is not None
    from_memory = answers(cran_index, qs)
    assert served["fts"] == len(qs)  # none more: every query above came from memory
    assert from_memory == from_fts  # the same ids and scores, to the last bit
    assert sum(map(len, from_fts)) > 500  # the queries do find things


def test_words_fts5_splits_further_score_the_same(
    tmp_path: Path, served: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the analyzer keeps "wing_tip" and "naïve" whole; FTS5's tokenizer splits at "_"
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add(
        [
            rec("u", "the wing_tip vortex at mach_2 and the wing root"),
            rec("a", "naïve café model of the wing, 2nd order"),
            rec("p", "plain wing text about a tip"),
        ]
    )
    qs = ["wing_tip", "wing tip", "mach_2", "naïve café", "2nd order wing"]
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "0")  # FTS5 only (no read in the background)
    with_fts = [[(h.id, h.score) for h in ix.search(q, 5)] for q in qs]
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "256")
    assert memory().build_now(ix.path) is not None
    assert [[(h.id, h.score) for h in ix.search(q, 5)] for q in qs] == with_fts
    assert served["fts"] == len(qs) + 2  # "wing_tip" and "mach_2" are phrases to FTS5: it answers them
    assert all(with_fts)


def test_ties_come_in_fts5_order(tmp_path: Path, served: dict[str, int]) -> None:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add([rec(f"t{i}", "supersonic wing flutter") for i in (5, 3, 9, 1, 7)])
    ix.add([rec("other", "subsonic wing, low speed")])
    with_fts = ix.search("wing", 4)
    assert len({h.score for h in with_fts}) == 1  # four of five equal scores
    memory().build_now(ix.path)
    assert [h.id for h in ix.search("wing", 4)] == [h.id for h in with_fts]
    assert served["fts"] == 1


def test_chunks_added_since_are_added_to_the_postings_by_the_query(
    cran_index: LexicalIndex, served: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "REBUILD_WAIT", 1e9)  # keep the background out of it
    memory().build_now(cran_index.path)
    writer = LexicalIndex(cran_index.path)
    more = cranfield(460)[400:]
    for start in range(0, len(more), 20):  # a worker's writes, one after the other
        writer.add([rec(f"c{doc_id}", text, f"f{doc_id}") for doc_id, text in more[start : start + 20]])
    writer.add([rec("zep", "zeppelin boundary layer zeppelin", "fzep")])
    qs = [*queries(30), "zeppelin"]
    from_memory = answers(cran_index, qs)
    assert served["fts"] == 0  # every one from the postings, extended by the first
    held = memory().current(cran_index.path, sqlite3.connect(cran_index.path))
    assert held is not None and held.rows == 461 and len(held.segments) == 2
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "0")
    assert from_memory == answers(cran_index, qs)
    assert from_memory[-1][0][0] == "zep"
    # rows removed since (a re-processed chunk is removed, then written again): FTS5
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "256")
    writer.add([rec("zep", "zeppelin wake", "fzep")])
    assert [h.id for h in cran_index.search("zeppelin", 5)] == ["zep"]
    assert served["fts"] == len(qs) + 1


def test_more_chunks_added_than_a_query_adds_itself_go_to_fts5(
    cran_index: LexicalIndex, served: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "REBUILD_WAIT", 1e9)
    monkeypatch.setattr(memory_module, "EXTEND_ROWS", 10)
    memory().build_now(cran_index.path)
    LexicalIndex(cran_index.path).add([rec(f"z{i}", f"zeppelin number {i}", "fz") for i in range(11)])
    assert len(cran_index.search("zeppelin", 20)) == 11
    assert served["fts"] == 1  # eleven new rows: read whole again (in the background), FTS5 meanwhile


def test_a_write_from_anywhere_sends_queries_to_fts5_until_rebuilt(
    cran_index: LexicalIndex, served: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "REBUILD_WAIT", 1e9)  # keep the background out of it
    memory().build_now(cran_index.path)
    cran_index.search("boundary layer", 5)
    assert served["fts"] == 0
    writer = LexicalIndex(cran_index.path)  # another handle: its own connections
    writer.add([rec("new", "zeppelin boundary layer zeppelin", "fnew")])
    memory().build_now(cran_index.path)  # current again...
    assert cran_index.search("zeppelin", 5)[0].id == "new"
    assert served["fts"] == 0
    writer.delete_file("f1")  # ...until the next write, a delete too
    assert [h.id for h in cran_index.search("zeppelin", 5)] == ["new"]
    assert served["fts"] == 1
    writer.delete(["new"])
    assert cran_index.search("zeppelin", 5) == []
    assert served["fts"] == 2


def test_a_stale_index_is_rebuilt_in_the_background(cran_index: LexicalIndex, served: dict[str, int]) -> None:
    first = cran_index.search("pressure distribution", 5)
    assert served["fts"] == 1  # nothing held yet: FTS5 answers, and a build starts
    deadline = time.monotonic() + 30
    with closing(sqlite3.connect(cran_index.path)) as conn:
        while memory().current(cran_index.path, conn) is None and time.monotonic() < deadline:
            time.sleep(0.02)
    assert cran_index.search("pressure distribution", 5) == first
    assert served["fts"] == 1  # held now


def test_a_replaced_index_file_is_not_answered_from_the_old_postings(
    tmp_path: Path, served: dict[str, int]
) -> None:
    path = tmp_path / "lexical.sqlite"
    LexicalIndex(path).add([rec("a", "hypersonic flow")])
    memory().build_now(path)
    for f in tmp_path.glob("lexical.sqlite*"):
        f.unlink()
    LexicalIndex(path).add([rec("b", "hypersonic flow")])  # same counter value, another file
    assert [h.id for h in LexicalIndex(path).search("hypersonic", 5)] == ["b"]
    assert served["fts"] == 1


def labelled(doc_id: str) -> dict[str, object]:
    """Metadata to filter on: a number, a label, and a key only some chunks have."""
    n = int(doc_id)
    return {
        "part": n % 3,
        "kind": "even" if n % 2 == 0 else "odd",
        **({"tagged": True} if n % 5 == 0 else {}),
    }


FILTERS = {
    "part = 1": [FilterCondition("part", FilterOp.EQ, 1)],
    "part in 0, 2": [FilterCondition("part", FilterOp.IN, [0, 2])],
    "part >= 1, kind odd": [
        FilterCondition("part", FilterOp.GTE, 1),
        FilterCondition("kind", FilterOp.EQ, "odd"),
    ],
    "kind ne even": [FilterCondition("kind", FilterOp.NE, "even")],
    "tagged": [FilterCondition("tagged", FilterOp.EQ, True)],
    "part nin 0": [FilterCondition("part", FilterOp.NIN, [0])],
    "one file": [FilterCondition("file_hash", FilterOp.EQ, "f2")],  # too few to check: a scan
}


@pytest.fixture
def labelled_index(tmp_path: Path) -> LexicalIndex:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add([rec(f"c{doc_id}", text, f"f{doc_id}", **labelled(doc_id)) for doc_id, text in cranfield(400)])
    return ix


def test_filtered_queries_give_fts5_hits_and_scores(
    labelled_index: LexicalIndex, served: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    qs = queries(40)

    def filtered(name: str) -> list[list[tuple[str, float]]]:
        return [[(h.id, h.score) for h in labelled_index.search(q, 10, FILTERS[name])] for q in qs]

    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "0")
    from_fts = {name: filtered(name) for name in FILTERS}
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "256")
    assert memory().build_now(labelled_index.path) is not None
    before = served["fts"]
    for name in FILTERS:
        assert filtered(name) == from_fts[name], name  # same ids, scores and ties, to the bit
    assert served["fts"] == before  # "one file" too: the chunks it keeps, scanned for once
    hits = [h for q in qs for h in labelled_index.search(q, 10, FILTERS["part >= 1, kind odd"])]
    assert len(hits) > 300 and all(h.metadata["part"] >= 1 and h.metadata["kind"] == "odd" for h in hits)


def test_filtered_ties_come_in_fts5_order(tmp_path: Path, served: dict[str, int]) -> None:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.add([rec(f"t{i}", "supersonic wing flutter", part=i % 2) for i in (5, 3, 9, 1, 7, 4, 8, 2, 6)])
    ix.add([rec(f"o{i}", "subsonic wing, low speed", part=1) for i in range(6)])
    only = [FilterCondition("part", FilterOp.EQ, 1)]
    with_fts = ix.search("wing", 4, only)
    assert len({h.score for h in with_fts}) == 1
    memory().build_now(ix.path)
    assert [h.id for h in ix.search("wing", 4, only)] == [h.id for h in with_fts]
    assert served["fts"] == 1


@pytest.mark.parametrize("small", [filter_sets_module.SMALL, 100])
def test_filters_that_reject_the_best_ranked_chunks(
    labelled_index: LexicalIndex, served: dict[str, int], monkeypatch: pytest.MonkeyPatch, small: int
) -> None:
    """The sample says a third of the chunks pass, but the best-ranked fail: after
    FILTER_CHECKS checks the index is scanned for the chunks the filter keeps, and their
    scores give the right hits; when they are more than SMALL, FTS5 answers."""
    monkeypatch.setattr(index_module, "FILTER_CHECKS", 40)
    monkeypatch.setattr(filter_sets_module, "SMALL", small)
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "0")
    query, only = "boundary layer", [FilterCondition("part", FilterOp.EQ, 1)]
    unfiltered = [h.id for h in labelled_index.search(query, 60)]
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "256")
    memory().build_now(labelled_index.path)
    with closing(sqlite3.connect(labelled_index.path)) as conn, conn:  # the best 60 leave part 1
        conn.executemany(
            "UPDATE docs SET metadata = json_set(metadata, '$.part', 0) WHERE chunk_id = ?",
            [(i,) for i in unfiltered],
        )
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "0")
    expected = [h.id for h in labelled_index.search(query, 3, only)]
    assert expected and not set(expected) & set(unfiltered)
    monkeypatch.setenv("LF_LEXICAL_MEMORY_MIB", "256")
    fts_before = served["fts"]
    assert [h.id for h in labelled_index.search(query, 3, only)] == expected
    assert served["fts"] == fts_before + (small < 133)  # part 1: 133 of the 400 chunks


def test_postings_over_the_bound_are_not_held(
    cran_index: LexicalIndex, served: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "memory_limit", lambda: 10_000)  # far less than 400 abstracts
    assert memory().build_now(cran_index.path) is None
    assert cran_index.search("boundary layer", 5)
    assert served["fts"] == 1


def test_the_least_recently_used_index_goes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = []
    for name in ("one", "two"):
        ix = LexicalIndex(tmp_path / name / "lexical.sqlite")
        ix.add([rec(f"{name}{i}", text) for i, (_, text) in enumerate(cranfield(200))])
        paths.append(ix.path)
    one = memory().build_now(paths[0])
    assert one is not None
    monkeypatch.setattr(memory_module, "memory_limit", lambda: int(one.nbytes * 1.5))  # room for one
    assert memory().build_now(paths[1]) is not None
    with closing(sqlite3.connect(paths[0])) as conn:
        assert memory().current(paths[0], conn) is None  # dropped (and read again in the background)


@pytest.mark.parametrize("version", [2, 3])
def test_an_older_index_gains_the_change_counter(
    tmp_path: Path, served: dict[str, int], version: int
) -> None:
    path = tmp_path / "lexical.sqlite"
    LexicalIndex(path).add([rec("a", "transonic buffet")])
    with closing(sqlite3.connect(path)) as conn, conn:  # as schema 2 (no counter) or 3 (no `removed`) left it
        conn.execute("DROP TABLE changes")
        if version == 3:
            conn.execute(
                "CREATE TABLE changes (one INTEGER PRIMARY KEY, born TEXT NOT NULL, n INTEGER NOT NULL)"
            )
            conn.execute("INSERT INTO changes VALUES (1, 'x', 4)")
        conn.execute(f"PRAGMA user_version = {version}")
    ix = LexicalIndex(path)
    assert [h.id for h in ix.search("buffet", 5)] == ["a"]
    assert memory().build_now(path) is not None
    assert [h.id for h in ix.search("buffet", 5)] == ["a"]
    assert served["fts"] == 1
