"""The query service over a real processed corpus: defaults, every request field's documented
effect, and the errors (unknown database/strategy, no rag section, empty database)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from llamafarm_core.errors import BadRequest, ValidationFailed
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.retrieval import RetrievalRequest, RetrievalResult, service
from llamafarm_core.retrieval.filters import parse_filters
from llamafarm_core.retrieval.tokens import count_tokens
from tests.core.retrieval.corpus import EMPTY, MAIN, QDRANT, Corpus


def ask(
    c: Corpus, query: str, database: str | None = None, strategy: str | None = None, **fields: Any
) -> RetrievalResult:
    if "filters" in fields:
        fields["filters"] = tuple(parse_filters(fields["filters"]))
    return service.query(
        c.settings, c.registry, c.project, RetrievalRequest(query, **fields), database, strategy
    )


def files(result: RetrievalResult) -> list[str]:
    return [h.metadata["filename"] for h in result.hits]


def test_defaults_come_from_the_config(corpus: Corpus) -> None:
    result = ask(corpus, "how do solar panels make electricity")
    assert result.database == MAIN  # rag.default_database
    assert result.strategy == "semantic"  # default_retrieval_strategy
    assert len(result.hits) == 4  # its configured top_k
    assert files(result)[0] == "solar.md"
    assert result.processing_time_ms > 0


def test_top_k_and_score_threshold(corpus: Corpus) -> None:
    four = ask(corpus, "renewable electricity", top_k=4)
    two = ask(corpus, "renewable electricity", top_k=2)
    assert [h.id for h in two.hits] == [h.id for h in four.hits[:2]]
    cut = (four.hits[1].score + four.hits[2].score) / 2
    kept = ask(corpus, "renewable electricity", top_k=4, score_threshold=cut)
    assert [h.id for h in kept.hits] == [h.id for h in four.hits[:2]]
    assert ask(corpus, "renewable electricity", score_threshold=1.0).hits == []


def test_strategy_by_configured_name_or_by_type(corpus: Corpus) -> None:
    by_name = ask(corpus, "pump gasket ZQ7", strategy="keywords")
    by_type = ask(corpus, "pump gasket ZQ7", strategy="BM25Retriever")
    assert by_name.strategy == "keywords" and by_type.strategy == "BM25Retriever"
    assert files(by_name) == files(by_type) == ["zq7-manual.md"]  # lexical: only it has the words


def test_unknown_strategy_names_the_known_ones(corpus: Corpus) -> None:
    with pytest.raises(BadRequest) as err:
        ask(corpus, "x", strategy="telepathy")
    assert "'telepathy'" in err.value.message
    assert "semantic" in err.value.message and "hybrid_universal" in err.value.message


def test_database_choice_and_unknown_database(corpus: Corpus) -> None:
    chroma = ask(corpus, "penguins in winter", MAIN, "semantic")
    qdrant = ask(corpus, "penguins in winter", QDRANT, "semantic")
    assert qdrant.database == QDRANT
    assert files(chroma) == files(qdrant)  # same vectors, same metric, same ranking
    assert [h.score for h in chroma.hits] == pytest.approx([h.score for h in qdrant.hits], abs=1e-4)
    with pytest.raises(BadRequest) as err:
        ask(corpus, "x", database="nowhere")
    assert "'nowhere'" in err.value.message and all(n in err.value.message for n in (MAIN, QDRANT, EMPTY))


def test_empty_database_answers_with_no_results(corpus: Corpus) -> None:
    result = ask(corpus, "anything at all", EMPTY)
    assert result.hits == [] and result.database == EMPTY and result.strategy == "basic"


def test_no_rag_section_is_a_bad_request(corpus: Corpus) -> None:
    store = ProjectStore(corpus.settings, corpus.registry)
    ref = ProjectRef("rt", "plain")
    if not store.exists(ref):
        store.create(ref, "server")
    with pytest.raises(BadRequest, match="no 'rag' section"):
        service.query(corpus.settings, corpus.registry, store.get(ref), RetrievalRequest("x"))


def test_metadata_filters(corpus: Corpus) -> None:
    result = ask(corpus, "living things", top_k=8, filters={"category": ["biology", "cooking"]})
    assert sorted(files(result)) == ["bees.md", "bread.md", "penguins.md"]
    recent = ask(corpus, "anything", top_k=8, filters={"year": {"$gte": 2022}})
    assert sorted(files(recent)) == ["solar.md", "volcano.md", "zq7-manual.md"]
    # Only three documents have a priority; $ne never matches a chunk without the key.
    assert sorted(files(ask(corpus, "x", top_k=8, filters={"priority": {"$ne": "low"}}))) == [
        "bees.md",
        "solar.md",
        "volcano.md",
    ]


def test_distance_metric_rescores_with_the_documented_mapping(corpus: Corpus) -> None:
    cosine = ask(corpus, "volcanic eruptions", top_k=4)
    euclid = ask(corpus, "volcanic eruptions", top_k=4, distance_metric="euclidean")
    assert [h.id for h in euclid.hits] == [h.id for h in cosine.hits]  # unit vectors: same order
    for c, e in zip(cosine.hits, euclid.hits, strict=True):
        # cosine score s = (1 + cos) / 2, L2 distance of unit vectors = sqrt(2 - 2 cos) = 2 sqrt(1 - s)
        assert e.score == pytest.approx(1 / (1 + 2 * math.sqrt(1 - c.score)), abs=1e-3)
    dot = ask(corpus, "volcanic eruptions", top_k=4, distance_metric="dot")
    assert [h.score for h in dot.hits] == pytest.approx([h.score for h in cosine.hits], abs=1e-3)
    manhattan = ask(corpus, "volcanic eruptions", top_k=4, distance_metric="manhattan")
    assert all(0 < h.score < e.score for h, e in zip(manhattan.hits, euclid.hits, strict=False))
    with pytest.raises(ValidationFailed, match="known metrics"):
        ask(corpus, "x", distance_metric="hamming")


def test_hybrid_alpha_blends_any_strategy_with_bm25(corpus: Corpus) -> None:
    query = "gasket replacement schedule"
    vector = ask(corpus, query, strategy="semantic", top_k=4)
    lexical = ask(corpus, query, strategy="keywords", top_k=4)
    assert ask(corpus, query, strategy="semantic", top_k=4, hybrid_alpha=1.0).hits == vector.hits
    only_lexical = ask(corpus, query, strategy="semantic", top_k=4, hybrid_alpha=0.0)
    assert [(h.id, h.score) for h in only_lexical.hits] == [(h.id, h.score) for h in lexical.hits]
    blended = ask(corpus, query, strategy="semantic", top_k=4, hybrid_alpha=0.5)
    assert files(blended)[0] == "zq7-manual.md"  # first on both sides
    top = blended.hits[0].id
    both = {h.id: h.score for h in vector.hits}[top] / 2 + {h.id: h.score for h in lexical.hits}[top] / 2
    assert blended.hits[0].score == pytest.approx(both)  # score fusion: the mean of both scores
    # On BM25 alone, hybrid_alpha adds the vector side.
    from_bm25 = ask(corpus, "electricity from the sun", strategy="keywords", top_k=4, hybrid_alpha=0.5)
    assert len(from_bm25.hits) == 4 > len(ask(corpus, "electricity from the sun", strategy="keywords").hits)


def test_max_tokens_trims_contents_in_rank_order(corpus: Corpus) -> None:
    full = ask(corpus, "baking bread and volcanoes", top_k=3)
    budget = count_tokens(full.hits[0].text) + 5
    trimmed = ask(corpus, "baking bread and volcanoes", top_k=3, max_tokens=budget)
    assert trimmed.hits[0].text == full.hits[0].text
    assert len(trimmed.hits) == 2 and trimmed.hits[1].metadata["truncated"] is True
    assert full.hits[1].text.startswith(trimmed.hits[1].text)
    assert budget - 3 < sum(count_tokens(h.text) for h in trimmed.hits) <= budget  # a long word costs >1


def test_rerank_model_that_is_not_local_is_a_bad_request_without_download(corpus: Corpus) -> None:
    with pytest.raises(BadRequest) as err:
        ask(corpus, "x", rerank_model="cross-encoder/ms-marco-MiniLM-L-6-v2")
    assert (
        "not available on this machine" in err.value.message and "nothing is downloaded" in err.value.message
    )


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"top_k": 0}, "top_k"),
        ({"top_k": -3}, "top_k"),
        ({"score_threshold": 1.5}, "score_threshold"),
        ({"hybrid_alpha": -0.1}, "hybrid_alpha"),
        ({"max_tokens": 0}, "max_tokens"),
    ],
)
def test_bad_request_values(fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationFailed, match=fragment):
        RetrievalRequest("q", **fields)
    with pytest.raises(ValidationFailed, match="query"):
        RetrievalRequest("   ")
