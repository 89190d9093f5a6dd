"""BM25Strategy: lexical only, so it keeps working when the embedder doesn't."""

from __future__ import annotations

from tests.core.retrieval.corpus import Corpus
from tests.plugins.retrievers.helpers import ask, files


def test_exact_terms_and_stems(corpus: Corpus) -> None:
    assert files(ask(corpus, "ZQ7", "bm25")) == ["zq7-manual.md"]
    assert files(ask(corpus, "gaskets", "bm25")) == ["zq7-manual.md"]  # stemmed
    assert ask(corpus, "the and of", "bm25").hits == []  # stopwords only
    energy = ask(corpus, "electricity", "bm25", top_k=5)
    assert sorted(files(energy)) == ["solar.md", "wind.md"]
    assert all(0 < h.score < 1 for h in energy.hits)


def test_works_without_a_loadable_embedder(corpus: Corpus) -> None:
    from llamafarm_core.projects import Project

    project = Project(
        corpus.project.ref, corpus.project.path, corpus.project.config.model_copy(deep=True), []
    )
    assert project.config.rag is not None
    project.config.rag.databases[0].embedding_strategies[0].config = {"model_name": "/nonexistent/model"}
    assert files(ask(corpus, "honeybees waggle", "bm25", project=project)) == ["bees.md"]
