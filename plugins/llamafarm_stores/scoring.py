"""Distances and similarities mapped to one score in [0, 1], higher is better.

Every store reports the same score for the same vectors, whatever its native metric:

=============  =============================  ======================================
metric         native value                   score
=============  =============================  ======================================
cosine         cosine similarity ``s``         ``(1 + s) / 2``  (= ``1 - d/2`` for a
                                              cosine distance ``d = 1 - s``)
inner product  dot product ``p``               ``clamp((1 + p) / 2)``: exact for unit
                                              vectors (every built-in embedder
                                              normalises), saturates at 0 and 1 otherwise
l2 / Euclid    Euclidean distance ``d``        ``1 / (1 + d)`` (Chroma reports ``d²``; its
                                              root is taken first)
Manhattan      L1 distance ``d``               ``1 / (1 + d)``
=============  =============================  ======================================
"""

from __future__ import annotations

import math


def clamp01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def from_similarity(similarity: float) -> float:
    """Cosine similarity or dot product (in [-1, 1] for unit vectors) → score."""
    return clamp01((1.0 + similarity) / 2.0)


def from_distance(distance: float) -> float:
    """A non-negative distance (Euclidean, Manhattan) → score; 0 distance is 1.0."""
    return 1.0 / (1.0 + max(distance, 0.0))


def from_squared_l2(squared: float) -> float:
    return from_distance(math.sqrt(max(squared, 0.0)))
