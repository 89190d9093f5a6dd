"""Every built-in strategy passes the retriever contract (llamafarm_core.testing.retrievers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llamafarm_core.testing.retrievers import RetrieverContract

CASES: list[tuple[str, dict[str, Any]]] = [
    ("BasicSimilarityStrategy", {}),
    ("BM25Strategy", {}),
    ("HybridStrategy", {"alpha": 0.5}),
    ("HybridStrategy", {"alpha": 0.7, "fusion": "score"}),
    ("HybridUniversalStrategy", {}),
    ("HybridUniversalStrategy", {"combination_method": "score_fusion"}),
    ("HybridUniversalStrategy", {"combination_method": "weighted_average"}),
    ("MetadataFilteredStrategy", {"filters": {"rank": {"$lte": 5}}}),
    ("MetadataFilteredStrategy", {"filters": {"rank": {"$lte": 5}}, "filter_mode": "post"}),
    ("MultiQueryStrategy", {"num_queries": 2}),
    ("MultiQueryStrategy", {"num_queries": 2, "aggregation_method": "reciprocal_rank"}),
    ("RerankedStrategy", {}),
]


class TestBuiltinStrategies(RetrieverContract):
    @pytest.fixture(params=CASES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(CASES)])
    def case(self, request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
        return request.param  # type: ignore[no-any-return]

    @pytest.fixture
    def strategy_type(self, case: tuple[str, dict[str, Any]]) -> str:
        return case[0]

    @pytest.fixture
    def strategy_config(self, case: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        return case[1]


class TestCrossEncoderStrategy(RetrieverContract):
    # The only cross-encoder available offline has an untrained head: its order carries no
    # relevance, so the relevance check is left out (the scoring itself is checked exactly
    # in test_cross_encoder.py).
    test_finds_a_document_by_its_own_words = None  # type: ignore[assignment]

    @pytest.fixture
    def strategy_type(self) -> str:
        return "CrossEncoderRerankedStrategy"

    @pytest.fixture
    def strategy_config(self, cross_encoder_path: Path) -> dict[str, Any]:
        return {"model_name": str(cross_encoder_path), "initial_k": 10}
