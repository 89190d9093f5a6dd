"""metadata_filters hold for every configured strategy and every request-level wrapper."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.retrieval.corpus import QDRANT, STRATEGIES, Corpus
from tests.plugins.retrievers.helpers import ask

NAMES = [s["name"] for s in STRATEGIES]
WRAPPERS: list[dict[str, Any]] = [{"hybrid_alpha": 0.5}, {"query_expansion": True}]


@pytest.mark.parametrize("strategy", NAMES)
@pytest.mark.parametrize("database", [None, QDRANT])
def test_every_strategy_honours_filters(corpus: Corpus, strategy: str, database: str | None) -> None:
    result = ask(
        corpus,
        "electricity from the sun, honeybees and winter",
        strategy,
        database,
        top_k=8,
        filters={"category": "biology"},
    )
    names = sorted(h.metadata["filename"] for h in result.hits)
    if strategy == "energy_only":  # its own filter (energy) AND the request's (biology): nothing
        assert names == []
    else:
        assert names and set(names) <= {"bees.md", "penguins.md"}, (strategy, names)


@pytest.mark.parametrize("fields", WRAPPERS, ids=["hybrid_alpha", "query_expansion"])
def test_wrappers_honour_filters(corpus: Corpus, fields: dict[str, Any]) -> None:
    result = ask(
        corpus, "penguins and honeybees", "semantic", top_k=5, filters={"year": {"$lt": 2020}}, **fields
    )
    names = {h.metadata["filename"] for h in result.hits}
    assert "penguins.md" in names and names <= {"penguins.md", "chess.md", "wind.md"}
