"""Scores in [0, 1] (higher is better) for every metric, and the ways ranked lists combine.

Metric scores are those the vector stores report (``plugins/llamafarm_stores/scoring.py``),
so a vector candidate rescored with the store's own metric keeps its score:

==========  =========================  ==========================
metric      native value               score
==========  =========================  ==========================
cosine      cosine similarity ``s``    ``(1 + s) / 2``
dot         dot product ``p``          ``clamp((1 + p) / 2)``
euclidean   L2 distance ``d``          ``1 / (1 + d)``
manhattan   L1 distance ``d``          ``1 / (1 + d)``
==========  =========================  ==========================

For unit vectors (every built-in embedder normalises) cosine and dot give the same score and
the same order; euclidean gives the same order with other scores; manhattan may reorder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from llamafarm_core.errors import ValidationFailed
from llamafarm_core.vectors import SearchHit

METRIC_ALIASES = {
    "cosine": "cosine",
    "cos": "cosine",
    "dot": "dot",
    "ip": "dot",
    "inner_product": "dot",
    "dot_product": "dot",
    "euclidean": "euclidean",
    "l2": "euclidean",
    "euclid": "euclidean",
    "manhattan": "manhattan",
    "l1": "manhattan",
}
RRF_K = 60


def canonical_metric(name: str | None) -> str | None:
    """``cosine``, ``dot``, ``euclidean`` or ``manhattan`` (aliases accepted); None stays None."""
    if name is None:
        return None
    metric = METRIC_ALIASES.get(name.strip().lower())
    if metric is None:
        known = ", ".join(sorted(METRIC_ALIASES))
        raise ValidationFailed(f"distance_metric: unknown metric {name!r}; known metrics: {known}")
    return metric


def clamp01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def metric_score(metric: str, a: Sequence[float], b: Sequence[float]) -> float:
    """The [0, 1] score of two vectors under ``metric`` (see the module table)."""
    if metric == "euclidean":
        return 1.0 / (1.0 + math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True))))
    if metric == "manhattan":
        return 1.0 / (1.0 + sum(abs(x - y) for x, y in zip(a, b, strict=True)))
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    if metric == "cosine":
        norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
        dot = dot / norm if norm else 0.0
    return clamp01((1.0 + dot) / 2.0)


def metric_scores(metric: str, matrix: Any, query: Any) -> Any:
    """:func:`metric_score` of each row of ``matrix`` against ``query``, at once (numpy,
    float64 arithmetic on the stored float32)."""
    import numpy as np

    rows, q = matrix.astype(np.float64), query.astype(np.float64)
    if metric == "euclidean":
        return 1.0 / (1.0 + np.sqrt(((rows - q) ** 2).sum(axis=1)))
    if metric == "manhattan":
        return 1.0 / (1.0 + np.abs(rows - q).sum(axis=1))
    dots = rows @ q
    if metric == "cosine":
        norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(q)
        dots = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    return np.clip((1.0 + dots) / 2.0, 0.0, 1.0)


def with_score(hit: SearchHit, score: float) -> SearchHit:
    return SearchHit(id=hit.id, text=hit.text, score=clamp01(score), metadata=dict(hit.metadata))


def ranked(hits: dict[str, SearchHit], limit: int | None = None) -> list[SearchHit]:
    """Hits by score, best first; ties broken by id so results are deterministic."""
    out = sorted(hits.values(), key=lambda h: (-h.score, h.id))
    return out if limit is None else out[:limit]


def weighted_mean(lists: Sequence[tuple[Sequence[SearchHit], float]]) -> dict[str, SearchHit]:
    """Weighted mean of each chunk's scores over the lists; a list that lacks it adds 0.

    With scores in [0, 1] the result is in [0, 1]; a chunk found by every list at score s
    keeps s.
    """
    total = sum(w for _, w in lists) or 1.0
    out: dict[str, SearchHit] = {}
    sums: dict[str, float] = {}
    for hits, weight in lists:
        for hit in hits:
            out.setdefault(hit.id, hit)
            sums[hit.id] = sums.get(hit.id, 0.0) + weight * hit.score
    return {cid: with_score(out[cid], s / total) for cid, s in sums.items()}


def min_max(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """Scores rescaled so the list's best is 1 and its worst 0 (all 1 when they are equal)."""
    if not hits:
        return []
    hi = max(h.score for h in hits)
    lo = min(h.score for h in hits)
    return [with_score(h, (h.score - lo) / (hi - lo) if hi > lo else 1.0) for h in hits]


def reciprocal_rank(
    lists: Sequence[tuple[Sequence[SearchHit], float]], k: int = RRF_K
) -> dict[str, SearchHit]:
    """Weighted reciprocal-rank fusion, ``sum(w / (k + rank))``, divided by its maximum
    ``sum(w) / (k + 1)`` (first in every list) so that it lies in [0, 1]. Lists must be
    ranked best first."""
    total = sum(w for _, w in lists) or 1.0
    best = total / (k + 1)
    out: dict[str, SearchHit] = {}
    sums: dict[str, float] = {}
    for hits, weight in lists:
        for rank, hit in enumerate(hits, start=1):
            out.setdefault(hit.id, hit)
            sums[hit.id] = sums.get(hit.id, 0.0) + weight / (k + rank)
    return {cid: with_score(out[cid], s / best) for cid, s in sums.items()}


def best_of(lists: Sequence[Sequence[SearchHit]]) -> dict[str, SearchHit]:
    """Each chunk with its highest score over the lists."""
    out: dict[str, SearchHit] = {}
    for hits in lists:
        for hit in hits:
            if hit.id not in out or hit.score > out[hit.id].score:
                out[hit.id] = hit
    return out
