"""Exact nearest neighbours among a filter's few chunks: the store's scores, vectors read
from the store once and kept while current, the store's count checked, bounded."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.store import VectorStore
from llamafarm_core.lexical.index import LexicalIndex
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.retrieval import exact as exact_module
from llamafarm_core.retrieval.exact import kept_vectors
from llamafarm_core.retrieval.scoring import metric_score
from llamafarm_core.vectors import ChunkRecord, FilterCondition, FilterOp

DIM = 16
EVEN = [FilterCondition("part", FilterOp.EQ, 0)]
ODD = [FilterCondition("part", FilterOp.EQ, 1)]


def vector(rng: random.Random) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(DIM)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def rec(n: int, rng: random.Random) -> ChunkRecord:
    return ChunkRecord(f"c{n:03d}", f"text {n}", vector(rng), {"file_hash": f"f{n}", "part": n % 2})


class Database:
    """A local store and its lexical index, written together as a worker writes them."""

    def __init__(self, store: VectorStore, lexical: LexicalIndex) -> None:
        self.store, self.lexical = store, lexical
        self.records: dict[str, ChunkRecord] = {}
        self.read: list[list[str]] = []  # ids whose vectors were read from the store
        real = store.vectors

        def counting(ids: list[str]):  # type: ignore[no-untyped-def]
            self.read.append(sorted(ids))
            return real(ids)

        store.vectors = counting  # type: ignore[method-assign]

    def add(self, records: list[ChunkRecord]) -> None:
        self.store.add(records)
        self.lexical.add(records)
        self.records.update((r.id, r) for r in records)

    def delete(self, ids: list[str]) -> None:
        self.store.delete(ids)
        self.lexical.delete(ids)
        for i in ids:
            del self.records[i]

    def nearest(
        self, query: list[float], filters: list[FilterCondition], k: int
    ) -> list[tuple[str, float]] | None:
        found = self.lexical.matching(filters, scan=True)
        assert found is not None
        got = kept_vectors().nearest(self.store, "cosine", query, found, self.lexical.path, k)
        return None if got is None else [(s.id, s.score) for s in got]

    def brute_force(
        self, query: list[float], filters: list[FilterCondition], k: int
    ) -> list[tuple[str, float]]:
        want = filters[0].value
        scored = [
            (r.id, metric_score("cosine", query, r.embedding))
            for r in self.records.values()
            if r.metadata["part"] == want
        ]
        return sorted(scored, key=lambda s: (-s[1], s[0]))[:k]


def same(got: list[tuple[str, float]] | None, expected: list[tuple[str, float]]) -> bool:
    """The same ids in the same order, scores equal within float32 storage."""
    assert got is not None
    return [i for i, _ in got] == [i for i, _ in expected] and [s for _, s in got] == pytest.approx(
        [s for _, s in expected], abs=1e-6
    )


@pytest.fixture
def db(tmp_path: Path, registry: Registry) -> Iterator[Database]:
    store = registry.build_as(
        PluginKind.VECTOR_STORE, VectorStore, "ChromaStore", {}, path=tmp_path / "db", collection="db"
    )
    rng = random.Random(7)
    database = Database(store, LexicalIndex(tmp_path / "db" / "lexical.sqlite"))
    database.add([rec(n, rng) for n in range(40)])
    yield database
    store.close()


def test_the_nearest_of_the_filters_chunks_with_the_stores_scores(db: Database) -> None:
    rng = random.Random(1)
    for _ in range(5):
        query = vector(rng)
        assert same(db.nearest(query, EVEN, 5), db.brute_force(query, EVEN, 5))
        stores_own = [(s.id, round(s.score, 5)) for s in db.store.search_ids(query, 5, EVEN)]
        assert [(i, round(s, 5)) for i, s in db.nearest(query, EVEN, 5) or []] == stores_own
    assert db.read == [sorted(i for i, r in db.records.items() if r.metadata["part"] == 0)]  # read once


def test_chunks_added_since_are_read_alone(db: Database) -> None:
    rng = random.Random(2)
    query = vector(rng)
    db.nearest(query, EVEN, 3)
    db.add([rec(40, rng), rec(41, rng), ChunkRecord("c042", "closest", list(query), {"part": 0})])
    got = db.nearest(query, EVEN, 3)
    assert same(got, db.brute_force(query, EVEN, 3)) and got and got[0][0] == "c042"
    assert db.read[1:] == [["c040", "c042"]]


def test_a_removal_drops_the_kept_vectors(db: Database) -> None:
    rng = random.Random(3)
    query = vector(rng)
    best = db.nearest(query, EVEN, 1)
    assert best is not None
    db.delete([best[0][0]])
    after = db.nearest(query, EVEN, 1)
    assert same(after, db.brute_force(query, EVEN, 1)) and after != best
    assert len(db.read) == 2 and len(db.read[1]) == 19  # all read again


def test_a_chunk_written_again_is_searched_with_its_new_vector(db: Database) -> None:
    rng = random.Random(9)
    query = vector(rng)
    before = db.nearest(query, EVEN, 1)
    assert before is not None and before[0][0] != "c010"
    db.add([ChunkRecord("c010", "rewritten", list(query), {"file_hash": "f10", "part": 0})])
    after = db.nearest(query, EVEN, 1)
    assert after is not None and after[0][0] == "c010" and after[0][1] == pytest.approx(1.0)


def test_a_store_holding_chunks_the_index_lacks_is_not_searched_here(db: Database) -> None:
    rng = random.Random(4)
    db.store.add([rec(50, rng)])  # the store alone: its count now differs from the index's
    assert db.nearest(vector(rng), EVEN, 3) is None


def test_vectors_the_store_lacks_mean_no_answer(db: Database) -> None:
    rng = random.Random(5)
    db.lexical.add([rec(60, rng)])  # the index alone (and the store gains another chunk)
    db.store.add([rec(61, rng)])
    assert db.nearest(vector(rng), EVEN, 3) is None


def test_kept_vectors_are_bounded(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact_module, "MAX_BYTES", 20 * DIM * 4 + 100 * 20)  # one filter's 20 vectors
    query = vector(random.Random(6))
    db.nearest(query, EVEN, 3)
    db.nearest(query, ODD, 3)  # pushes EVEN's out
    db.nearest(query, ODD, 3)
    db.nearest(query, EVEN, 3)
    assert [len(ids) for ids in db.read] == [20, 20, 20]
