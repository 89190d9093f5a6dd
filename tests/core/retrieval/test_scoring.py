"""Metric scores and list fusion: every result in [0, 1], higher is better."""

from __future__ import annotations

import math
import random

import pytest

from llamafarm_core.errors import ValidationFailed
from llamafarm_core.retrieval.scoring import (
    canonical_metric,
    metric_score,
    metric_scores,
    min_max,
    ranked,
    reciprocal_rank,
    weighted_mean,
)
from llamafarm_core.vectors import SearchHit


def hits(*pairs: tuple[str, float]) -> list[SearchHit]:
    return [SearchHit(cid, cid, score) for cid, score in pairs]


def test_metric_names_and_aliases() -> None:
    assert canonical_metric("L2") == "euclidean"
    assert canonical_metric("ip") == "dot"
    assert canonical_metric("Euclid") == "euclidean"  # Qdrant's name
    assert canonical_metric(None) is None
    with pytest.raises(ValidationFailed, match="known metrics"):
        canonical_metric("hamming")


def test_metric_scores_match_the_store_convention() -> None:
    a, b = [1.0, 0.0], [math.cos(1.0), math.sin(1.0)]  # unit vectors one radian apart
    assert metric_score("cosine", a, b) == pytest.approx((1 + math.cos(1.0)) / 2)
    assert metric_score("dot", a, b) == pytest.approx(metric_score("cosine", a, b))
    d = math.dist(a, b)
    assert metric_score("euclidean", a, b) == pytest.approx(1 / (1 + d))
    assert metric_score("manhattan", a, b) == pytest.approx(1 / (1 + abs(1 - b[0]) + abs(b[1])))
    assert metric_score("cosine", a, a) == pytest.approx(1.0)
    assert metric_score("cosine", a, [-1.0, 0.0]) == pytest.approx(0.0)


def test_reciprocal_rank_is_normalised_to_one_for_first_everywhere() -> None:
    fused = reciprocal_rank([(hits(("x", 0.9), ("y", 0.8)), 1.0), (hits(("x", 0.2), ("z", 0.1)), 1.0)])
    assert fused["x"].score == pytest.approx(1.0)
    assert fused["y"].score == pytest.approx((1 / 62) / (2 / 61))
    assert [h.id for h in ranked(fused)] == ["x", "y", "z"]
    weighted = reciprocal_rank([(hits(("y", 1.0)), 0.9), (hits(("z", 1.0)), 0.1)])
    assert weighted["y"].score == pytest.approx(0.9) and weighted["z"].score == pytest.approx(0.1)


def test_weighted_mean_and_min_max() -> None:
    fused = weighted_mean([(hits(("x", 0.8), ("y", 0.4)), 3.0), (hits(("x", 0.4)), 1.0)])
    assert fused["x"].score == pytest.approx(0.7) and fused["y"].score == pytest.approx(0.3)
    scaled = min_max(hits(("a", 0.9), ("b", 0.7), ("c", 0.5)))
    assert [h.score for h in scaled] == pytest.approx([1.0, 0.5, 0.0])
    assert [h.score for h in min_max(hits(("a", 0.3)))] == [1.0]


def test_ranked_breaks_ties_by_id() -> None:
    assert [h.id for h in ranked({h.id: h for h in hits(("b", 0.5), ("a", 0.5), ("c", 0.9))})] == [
        "c",
        "a",
        "b",
    ]


@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean", "manhattan"])
def test_metric_scores_are_metric_score_row_by_row(metric: str) -> None:
    import numpy as np

    rng = random.Random(8)
    rows = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(30)]
    query = [rng.uniform(-1, 1) for _ in range(16)]
    got = metric_scores(metric, np.asarray(rows, dtype=np.float32), np.asarray(query, dtype=np.float32))
    expected = [metric_score(metric, [float(np.float32(x)) for x in r], query) for r in rows]
    assert got.tolist() == pytest.approx(expected, abs=1e-6)
    assert got.min() >= 0.0 and got.max() <= 1.0
