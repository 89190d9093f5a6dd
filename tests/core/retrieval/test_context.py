"""Where a query's hits get their texts: beside a local store that finds ids alone, from the
lexical index (the same write block fills both); otherwise, or for ids it lacks, the store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llamafarm_core.databases import open_database
from llamafarm_core.retrieval.context import RetrievalContext
from llamafarm_core.vectors import SearchHit
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
