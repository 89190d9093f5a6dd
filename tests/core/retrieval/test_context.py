"""Where a query's hits get their texts: beside a local store that finds ids alone, from the
lexical index (the same write block fills both); otherwise, or for ids it lacks, the store.
Filtered searches there check the store's nearest chunks against the index's metadata, or
search exactly among the few chunks a filter keeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llamafarm_core.databases import open_database
from llamafarm_core.lexical import filter_sets as filter_sets_module
from llamafarm_core.retrieval import context as context_module
from llamafarm_core.retrieval.context import RetrievalContext
from llamafarm_core.retrieval.filters import matches
from llamafarm_core.vectors import FilterCondition, FilterOp, ScoredId, SearchHit
from tests.core.retrieval.corpus import MAIN, QDRANT, Corpus

QUERY = "how do solar panels make electricity"


@pytest.fixture(params=[MAIN, QDRANT])
def ctx(request: pytest.FixtureRequest, corpus: Corpus) -> Iterator[RetrievalContext]:
    handle = open_database(corpus.registry, corpus.project, request.param)
    context = RetrievalContext(handle, corpus.registry)
    yield context
    context.close()


def _same(hits: list[SearchHit]) -> list[tuple[str, float, str, dict]]:
    return [(h.id, round(h.score, 6), h.text, h.metadata) for h in hits]


def test_hits_are_the_stores_own(ctx: RetrievalContext) -> None:
    store = ctx.store()
    expected = store.search(ctx.embed_query(QUERY), 4)
    assert len(expected) == 4
    assert _same(ctx.vector_search(QUERY, 4)) == _same(expected)


def test_texts_come_from_the_lexical_index(ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _same(ctx.vector_search(QUERY, 4))
    store = ctx.store()

    def refused(*_args: object, **_kwargs: object) -> list[SearchHit]:
        raise AssertionError("texts read from the store")

    monkeypatch.setattr(store, "search", refused)
    monkeypatch.setattr(store, "get", refused)
    assert _same(ctx.vector_search(QUERY, 4)) == expected


def test_ids_the_lexical_index_lacks_are_read_from_the_store(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _same(ctx.vector_search(QUERY, 4))
    real = ctx.handle.lexical.get
    skipped = {h[0] for h in expected[1::2]}
    monkeypatch.setattr(
        ctx.handle.lexical, "get", lambda ids: {i: h for i, h in real(ids).items() if i not in skipped}
    )
    asked: list[list[str]] = []
    store = ctx.store()
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda ids: asked.append(list(ids)) or real_get(ids))
    assert _same(ctx.vector_search(QUERY, 4)) == expected
    assert sorted(asked[0]) == sorted(skipped)


def test_a_store_that_is_not_local_answers_itself(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote store may be written from machines whose lexical index is not this one."""
    store = ctx.store()  # (the context decides where texts come from on its first search)
    expected = _same(store.search(ctx.embed_query(QUERY), 4))
    monkeypatch.setattr(type(store), "is_local", property(lambda _self: False))
    monkeypatch.setattr(ctx.handle.lexical, "get", lambda ids: pytest.fail("lexical index read"))
    assert _same(ctx.vector_search(QUERY, 4)) == expected


FILTERS = {
    "one category": [FilterCondition("category", FilterOp.EQ, "biology")],
    "years": [FilterCondition("year", FilterOp.GTE, 2019)],
    "not low": [FilterCondition("priority", FilterOp.NE, "low")],  # chunks without it never match
    "none": [FilterCondition("year", FilterOp.LT, 1900)],
}


@pytest.mark.parametrize("name", FILTERS)
def test_filtered_searches_check_the_nearest_in_the_lexical_index(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The store's nearest chunks without filters, checked in the lexical index: the same
    hits as the store's own filtered query, without asking it one."""
    filters = FILTERS[name]
    store = ctx.store()
    vector = ctx.embed_query(QUERY)
    expected = _same(store.search(vector, 3, filters))
    expected_ids = [(s.id, round(s.score, 6)) for s in store.search_ids(vector, 8, filters)]
    assert all(matches(h[3], filters) for h in expected)
    real = store.search_ids
    asked: list[int] = []

    def unfiltered(vec: list[float], top_k: int, filters: list[FilterCondition] = []) -> list[ScoredId]:  # noqa: B006
        assert not filters, "the store was asked to filter"
        asked.append(top_k)
        return real(vec, top_k)

    monkeypatch.setattr(store, "search_ids", unfiltered)
    assert _same(ctx.vector_search(QUERY, 3, filters)) == expected
    assert [(s.id, round(s.score, 6)) for s in ctx.vector_candidates(QUERY, 8, filters)] == expected_ids
    assert asked == [64, 64]  # the whole corpus in one window: every chunk checked
    assert (name == "none") == (not expected)


def test_larger_windows_check_only_chunks_not_checked_yet(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context_module, "NEAREST_FIRST", 1)
    monkeypatch.setattr(context_module, "NEAREST_LEAST", 1)
    monkeypatch.setattr(context_module, "NEAREST_MAX", 64)
    filters = FILTERS["not low"]  # of the 2 nearest to a solar query, wind is "low"
    store = ctx.store()
    expected = _same(store.search(ctx.embed_query(QUERY), 2, filters))
    assert len(expected) == 2
    checked: list[list[str]] = []
    real = ctx.handle.lexical.passing
    monkeypatch.setattr(
        ctx.handle.lexical, "passing", lambda ids, f: checked.append(list(ids)) or real(ids, f)
    )
    assert _same(ctx.vector_search(QUERY, 2, filters)) == expected
    assert len(checked) >= 2  # windows of 2, 8, ...
    every = [i for ids in checked for i in ids]
    assert len(every) == len(set(every))  # none checked twice


def test_a_filter_that_keeps_few_is_searched_exactly_among_its_chunks(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nearest keep too few: the index is scanned for the chunks the filter keeps
    (remembered), and their vectors, read from the store once, are searched exactly."""
    monkeypatch.setattr(context_module, "NEAREST_MAX", 4)  # the nearest 4 to a solar query: no biology
    filters = FILTERS["one category"]
    store = ctx.store()
    expected = _same(store.search(ctx.embed_query(QUERY), 2, filters))
    assert len(expected) == 2
    asked: list[tuple[int, list[FilterCondition]]] = []
    real = store.search_ids
    monkeypatch.setattr(
        store, "search_ids", lambda v, k, f=(): asked.append((k, list(f))) or real(v, k, list(f))
    )
    read: list[list[str]] = []
    real_vectors = store.vectors
    monkeypatch.setattr(store, "vectors", lambda ids: read.append(sorted(ids)) or real_vectors(ids))
    assert _same(ctx.vector_search(QUERY, 2, filters)) == expected
    assert asked == [(4, [])]  # the nearest, then no filtered query
    biology = sorted(h.id for h in store.search(ctx.embed_query(QUERY), 20, filters))
    assert read == [biology]
    assert _same(ctx.vector_search(QUERY, 2, filters)) == expected  # remembered: straight there
    assert _same(ctx.vector_search("emperor penguins in antarctica", 1, filters))[0][2].startswith("# Penguins")
    assert asked == [(4, [])] and read == [biology]


def test_the_store_filters_itself_when_the_filter_keeps_many(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context_module, "NEAREST_MAX", 4)
    monkeypatch.setattr(filter_sets_module, "SMALL", 1)  # biology keeps 2 chunks: "many"
    filters = FILTERS["one category"]
    store = ctx.store()
    expected = _same(store.search(ctx.embed_query(QUERY), 2, filters))
    asked: list[tuple[int, list[FilterCondition]]] = []
    real = store.search_ids
    monkeypatch.setattr(
        store, "search_ids", lambda v, k, f=(): asked.append((k, list(f))) or real(v, k, list(f))
    )
    assert _same(ctx.vector_search(QUERY, 2, filters)) == expected
    assert _same(ctx.vector_search(QUERY, 2, filters)) == expected  # "many" remembered: no rescan
    assert asked == [(4, []), (2, filters)] * 2


def test_the_store_filters_itself_when_it_cannot_read_vectors_back(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context_module, "NEAREST_MAX", 4)
    filters = FILTERS["one category"]
    store = ctx.store()
    expected = _same(store.search(ctx.embed_query(QUERY), 2, filters))
    monkeypatch.setattr(store, "vectors", lambda ids: None)
    asked: list[list[FilterCondition]] = []
    real = store.search_ids
    monkeypatch.setattr(store, "search_ids", lambda v, k, f=(): asked.append(list(f)) or real(v, k, list(f)))
    assert _same(ctx.vector_search(QUERY, 2, filters)) == expected
    assert asked == [[], filters]


def test_the_store_filters_itself_when_the_lexical_index_lacks_a_chunk(
    ctx: RetrievalContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk the index lacks might match: the store decides. (The nearest show it; for
    the exact search among a filter's chunks, the store's count does.)"""
    filters = FILTERS["years"]
    store = ctx.store()
    expected = _same(store.search(ctx.embed_query(QUERY), 3, filters))
    real_passing = ctx.handle.lexical.passing
    monkeypatch.setattr(
        ctx.handle.lexical, "passing", lambda ids, f: real_passing([*ids, "not-in-the-index"], f)
    )
    real_count = store.count
    monkeypatch.setattr(store, "count", lambda: real_count() + 1)
    asked: list[list[FilterCondition]] = []
    real = store.search_ids
    monkeypatch.setattr(store, "search_ids", lambda v, k, f=(): asked.append(list(f)) or real(v, k, list(f)))
    assert _same(ctx.vector_search(QUERY, 3, filters)) == expected
    assert asked == [[], filters]  # the nearest first, then the store's own filtered query
