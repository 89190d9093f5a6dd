"""The vector-store contract: subclass :class:`VectorStoreContract` in a test module.

Provide two fixtures:

- ``make_store``: a factory ``make_store(path, metric=None) -> VectorStore``. ``path`` is the
  database directory (a fresh temp dir per test; reopening the same path must reach the same
  data), ``metric`` one of the class's ``metrics`` in generic names (``cosine``, ``l2``,
  ``ip``, ``manhattan``), None for the store's default.
- ``dimension``: the vector size to test with (at least 3).

Every test closes the stores it opens. Scores are checked against LlamaFarm's convention
(``llamafarm_stores.scoring``): cosine/ip ``(1+s)/2``, l2/manhattan ``1/(1+d)``; a store
with another documented mapping overrides :meth:`expected_score`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from llamafarm_core.components.store import VectorStore
from llamafarm_core.errors import BadRequest, LlamaFarmError
from llamafarm_core.vectors import ChunkRecord, FilterCondition, FilterOp, SearchHit

# (file_hash, page, lang, weight, draft, tag or None); record i sits at angle i*ANGLE from the query.
ROWS: list[tuple[str, int, str, float, bool, str | None]] = [
    ("fa", 1, "en", 0.1, True, "x"),
    ("fa", 2, "fr", 0.2, False, None),
    ("fa", 3, "en", 0.3, False, "y"),
    ("fb", 1, "de", 0.4, True, None),
    ("fb", 2, "en", 0.5, False, None),
    ("fc", 1, "fr", 0.6, False, "x"),
]
ANGLE = math.radians(12)
ALL = [0, 1, 2, 3, 4, 5]

F = FilterCondition
FILTER_CASES: list[tuple[str, list[FilterCondition], list[int]]] = [
    ("eq str", [F("lang", FilterOp.EQ, "en")], [0, 2, 4]),
    ("eq int", [F("page", FilterOp.EQ, 1)], [0, 3, 5]),
    ("eq int as float", [F("page", FilterOp.EQ, 1.0)], [0, 3, 5]),
    ("eq float", [F("weight", FilterOp.EQ, 0.5)], [4]),
    ("eq bool", [F("draft", FilterOp.EQ, True)], [0, 3]),
    ("ne str", [F("lang", FilterOp.NE, "en")], [1, 3, 5]),
    ("ne skips missing", [F("tag", FilterOp.NE, "x")], [2]),
    ("in str", [F("lang", FilterOp.IN, ["en", "de"])], [0, 2, 3, 4]),
    ("in int", [F("page", FilterOp.IN, [2, 3])], [1, 2, 4]),
    ("in mixed types", [F("tag", FilterOp.IN, ["x", 7, True])], [0, 5]),
    ("in empty", [F("lang", FilterOp.IN, [])], []),
    ("nin str", [F("lang", FilterOp.NIN, ["en"])], [1, 3, 5]),
    ("nin skips missing", [F("tag", FilterOp.NIN, ["x"])], [2]),
    ("nin empty", [F("tag", FilterOp.NIN, [])], [0, 2, 5]),
    ("gt", [F("page", FilterOp.GT, 1)], [1, 2, 4]),
    ("gte", [F("page", FilterOp.GTE, 2)], [1, 2, 4]),
    ("lt", [F("weight", FilterOp.LT, 0.3)], [0, 1]),
    ("lte", [F("weight", FilterOp.LTE, 0.3)], [0, 1, 2]),
    ("and", [F("lang", FilterOp.EQ, "en"), F("page", FilterOp.GTE, 2)], [2, 4]),
    ("and ne", [F("file_hash", FilterOp.EQ, "fa"), F("lang", FilterOp.NE, "en")], [1]),
    ("and empty result", [F("lang", FilterOp.EQ, "de"), F("page", FilterOp.GT, 1)], []),
]
MISSING_KEY_CASES = [
    (FilterOp.EQ, "en"),
    (FilterOp.NE, "en"),
    (FilterOp.IN, ["en", 1]),
    (FilterOp.NIN, ["en"]),
    (FilterOp.GT, 0),
    (FilterOp.GTE, 0),
    (FilterOp.LT, 100),
    (FilterOp.LTE, 100),
]
BAD_FILTERS = [
    F("page", FilterOp.GT, "abc"),
    F("page", FilterOp.LT, True),
    F("lang", FilterOp.EQ, ["en", "fr"]),
    F("lang", FilterOp.EQ, None),
    F("lang", "like", "en"),  # type: ignore[arg-type]
    F("", FilterOp.EQ, "en"),
]


def unit(dimension: int, angle: float) -> list[float]:
    """A unit vector at ``angle`` from the first axis, in the plane of the first two axes."""
    v = [0.0] * dimension
    v[0], v[1] = math.cos(angle), math.sin(angle)
    return v


def record(i: int, dimension: int) -> ChunkRecord:
    file_hash, page, lang, weight, draft, tag = ROWS[i]
    metadata: dict[str, Any] = {
        "file_hash": file_hash,
        "page": page,
        "lang": lang,
        "weight": weight,
        "draft": draft,
    }
    if tag is not None:
        metadata["tag"] = tag
    return ChunkRecord(
        id=f"{file_hash}:{i:06d}", text=f"chunk {i}", embedding=unit(dimension, i * ANGLE), metadata=metadata
    )


def ids(indexes: list[int], dimension: int) -> list[str]:
    return [record(i, dimension).id for i in indexes]


class VectorStoreContract:
    """Behaviour every vector store must have. See the module docstring for the fixtures."""

    metrics: ClassVar[tuple[str, ...]] = ("cosine",)
    reads_vectors: ClassVar[bool] = False  # the store's ``vectors`` reads them back (else None)

    @pytest.fixture
    def open_store(
        self, make_store: Callable[..., VectorStore], tmp_path: Path
    ) -> Iterator[Callable[..., VectorStore]]:
        """Like ``make_store`` but defaults ``path`` and closes everything at teardown."""
        opened: list[VectorStore] = []

        def factory(path: Path | None = None, metric: str | None = None) -> VectorStore:
            store = make_store(path or tmp_path / "db", metric=metric)
            opened.append(store)
            return store

        yield factory
        for store in opened:
            store.close()

    @pytest.fixture
    def store(self, open_store: Callable[..., VectorStore]) -> VectorStore:
        return open_store()

    @pytest.fixture
    def filled(self, store: VectorStore, dimension: int) -> VectorStore:
        store.add([record(i, dimension) for i in ALL])
        return store

    def query(self, dimension: int) -> list[float]:
        return unit(dimension, 0.0)

    def expected_score(self, metric: str, angle: float) -> float:
        """The documented score of a unit vector at ``angle`` from a unit query."""
        cos = math.cos(angle)
        if metric in ("cosine", "ip"):
            return (1 + cos) / 2
        if metric == "l2":
            return 1 / (1 + 2 * math.sin(angle / 2))
        if metric == "manhattan":
            return 1 / (1 + (1 - cos) + math.sin(angle))
        raise AssertionError(f"no expected score for metric {metric!r}")

    # -- empty store --------------------------------------------------------------------

    def test_empty_store_answers_empty(self, store: VectorStore, dimension: int) -> None:
        assert store.count() == 0
        assert store.search(self.query(dimension), 5) == []
        assert store.search(self.query(dimension), 5, [F("lang", FilterOp.EQ, "en")]) == []
        assert store.get(["fa:000000"]) == []
        assert store.ids_for_file("fa") == []
        assert store.file_counts() == {}
        assert store.delete_file("fa") == 0
        store.delete(["nope"])
        store.add([])
        assert store.count() == 0

    # -- writes -------------------------------------------------------------------------

    def test_add_then_count_and_get(self, filled: VectorStore, dimension: int) -> None:
        assert filled.count() == len(ALL)
        hits = {h.id: h for h in filled.get(ids(ALL, dimension))}
        assert set(hits) == set(ids(ALL, dimension))
        first = hits[record(0, dimension).id]
        assert first.text == "chunk 0"
        assert first.score == 1.0
        assert first.metadata == record(0, dimension).metadata

    def test_vectors_read_back(self, filled: VectorStore, dimension: int) -> None:
        got = filled.vectors([*ids([0, 4], dimension), "nope"])
        if not self.reads_vectors:
            assert got is None
            return
        assert got is not None and set(got) == set(ids([0, 4], dimension))  # unknown ids left out
        for i in (0, 4):
            assert list(got[record(i, dimension).id]) == pytest.approx(unit(dimension, i * ANGLE), abs=1e-6)
        assert filled.vectors([]) == {}

    def test_metadata_keeps_scalar_types(self, filled: VectorStore, dimension: int) -> None:
        [hit] = filled.search(self.query(dimension), 1)
        meta = hit.metadata
        assert meta["lang"] == "en" and isinstance(meta["lang"], str)
        assert meta["page"] == 1 and isinstance(meta["page"], int) and not isinstance(meta["page"], bool)
        assert meta["weight"] == pytest.approx(0.1) and isinstance(meta["weight"], float)
        assert meta["draft"] is True

    def test_add_upserts_by_id(self, filled: VectorStore, dimension: int) -> None:
        changed = record(5, dimension)
        changed.text = "rewritten"
        changed.embedding = unit(dimension, 0.0)
        changed.metadata = {**changed.metadata, "lang": "it"}
        filled.add([changed])
        assert filled.count() == len(ALL)
        [hit] = filled.get([changed.id])
        assert hit.text == "rewritten"
        assert hit.metadata["lang"] == "it"
        assert {h.id for h in filled.search(self.query(dimension), 2)} >= {changed.id}
        assert [h.id for h in filled.search(self.query(dimension), 10, [F("lang", FilterOp.EQ, "it")])] == [
            changed.id
        ]

    def test_get_leaves_out_unknown_ids(self, filled: VectorStore, dimension: int) -> None:
        wanted = ids([1, 4], dimension)
        hits = filled.get([wanted[0], "fz:000099", wanted[1], wanted[0]])
        assert sorted(h.id for h in hits) == sorted(wanted)
        assert filled.get([]) == []

    def test_delete_ids(self, filled: VectorStore, dimension: int) -> None:
        filled.delete(ids([0, 3], dimension) + ["fz:000099"])
        assert filled.count() == 4
        assert filled.get(ids([0, 3], dimension)) == []
        assert [h.id for h in filled.search(self.query(dimension), 10)] == ids([1, 2, 4, 5], dimension)
        filled.delete([])
        assert filled.count() == 4

    def test_files(self, filled: VectorStore, dimension: int) -> None:
        assert sorted(filled.ids_for_file("fa")) == ids([0, 1, 2], dimension)
        assert filled.ids_for_file("nope") == []
        assert filled.file_counts() == {"fa": 3, "fb": 2, "fc": 1}

    def test_delete_file_removes_exactly_that_file(self, filled: VectorStore, dimension: int) -> None:
        assert filled.delete_file("fa") == 3
        assert filled.count() == 3
        assert filled.ids_for_file("fa") == []
        assert filled.file_counts() == {"fb": 2, "fc": 1}
        assert [h.id for h in filled.search(self.query(dimension), 10)] == ids([3, 4, 5], dimension)
        assert filled.delete_file("fa") == 0

    def test_vectors_of_another_dimension_are_refused(self, filled: VectorStore, dimension: int) -> None:
        wrong = record(0, dimension)
        wrong.id, wrong.embedding = "fz:000000", [1.0] * (dimension + 1)
        with pytest.raises(LlamaFarmError) as err:
            filled.add([wrong])
        assert 400 <= err.value.status < 500
        with pytest.raises(LlamaFarmError) as err:
            filled.search([1.0] * (dimension + 1), 3)
        assert 400 <= err.value.status < 500
        assert filled.count() == len(ALL)

    # -- search -------------------------------------------------------------------------

    def test_search_order_and_scores_for_every_metric(
        self, open_store: Callable[..., VectorStore], tmp_path: Path, dimension: int
    ) -> None:
        for metric in self.metrics:
            store = open_store(tmp_path / f"db-{metric}", metric=metric)
            store.add([record(i, dimension) for i in ALL])
            hits = store.search(self.query(dimension), len(ALL))
            assert [h.id for h in hits] == ids(ALL, dimension), metric
            scores = [h.score for h in hits]
            assert all(0.0 <= s <= 1.0 for s in scores), (metric, scores)
            assert all(a > b for a, b in zip(scores, scores[1:], strict=False)), (metric, scores)
            for i, hit in enumerate(hits):
                assert hit.score == pytest.approx(self.expected_score(metric, i * ANGLE), abs=2e-3), (
                    metric,
                    i,
                )
            assert hits[0].text == "chunk 0"

    def test_top_k(self, filled: VectorStore, dimension: int) -> None:
        assert [h.id for h in filled.search(self.query(dimension), 2)] == ids([0, 1], dimension)
        assert len(filled.search(self.query(dimension), 100)) == len(ALL)
        assert [h.id for h in filled.search(unit(dimension, 5 * ANGLE), 1)] == ids([5], dimension)
        with pytest.raises(BadRequest):
            filled.search(self.query(dimension), 0)

    @pytest.mark.parametrize("case", FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
    def test_search_ids_ranks_like_search(
        self, filled: VectorStore, dimension: int, case: tuple[str, list[FilterCondition], list[int]]
    ) -> None:
        _, filters, _expected = case
        for top_k in (1, 3, len(ALL)):
            full = filled.search(self.query(dimension), top_k, filters)
            bare = filled.search_ids(self.query(dimension), top_k, filters)
            assert [(s.id, round(s.score, 6)) for s in bare] == [(h.id, round(h.score, 6)) for h in full]
        with pytest.raises(BadRequest):
            filled.search_ids(self.query(dimension), 0)

    @pytest.mark.parametrize("case", FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
    def test_filters(
        self, filled: VectorStore, dimension: int, case: tuple[str, list[FilterCondition], list[int]]
    ) -> None:
        _, filters, expected = case
        hits = filled.search(self.query(dimension), 10, filters)
        assert [h.id for h in hits] == ids(expected, dimension)

    def test_filters_respect_top_k(self, filled: VectorStore, dimension: int) -> None:
        hits = filled.search(unit(dimension, 5 * ANGLE), 2, [F("lang", FilterOp.EQ, "en")])
        assert [h.id for h in hits] == ids([4, 2], dimension)

    @pytest.mark.parametrize("op,value", MISSING_KEY_CASES, ids=[c[0].value for c in MISSING_KEY_CASES])
    def test_condition_on_missing_key_matches_nothing(
        self, filled: VectorStore, dimension: int, op: FilterOp, value: Any
    ) -> None:
        assert filled.search(self.query(dimension), 10, [F("absent", op, value)]) == []

    @pytest.mark.parametrize("bad", BAD_FILTERS, ids=[repr(b) for b in BAD_FILTERS])
    def test_bad_filter_is_a_bad_request(
        self, filled: VectorStore, dimension: int, bad: FilterCondition
    ) -> None:
        with pytest.raises(BadRequest):
            filled.search(self.query(dimension), 3, [bad])

    # -- lifecycle ----------------------------------------------------------------------

    def test_data_persists_across_close_and_reopen(
        self, open_store: Callable[..., VectorStore], tmp_path: Path, dimension: int
    ) -> None:
        path = tmp_path / "persisted"
        first = open_store(path)
        first.add([record(i, dimension) for i in ALL])
        before = _summary(first.search(self.query(dimension), 10))
        first.close()
        second = open_store(path)
        assert second.count() == len(ALL)
        assert _summary(second.search(self.query(dimension), 10)) == before
        assert second.file_counts() == {"fa": 3, "fb": 2, "fc": 1}
        second.delete_file("fb")
        second.close()
        third = open_store(path)
        assert third.file_counts() == {"fa": 3, "fc": 1}

    def test_close_twice_and_reuse(self, filled: VectorStore, dimension: int) -> None:
        filled.close()
        filled.close()
        assert filled.count() == len(ALL)

    def test_size_bytes(self, filled: VectorStore) -> None:
        size = filled.size_bytes()
        assert size >= 0
        if filled.is_local:
            assert size > 0


def _summary(hits: list[SearchHit]) -> list[tuple[str, float]]:
    return [(h.id, round(h.score, 4)) for h in hits]
