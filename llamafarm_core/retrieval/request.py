"""What a retrieval is asked for and what it answers: typed values between the server, the
chat engine, the service and the strategies."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from llamafarm_core.errors import ValidationFailed
from llamafarm_core.limits import MAX_TOP_K
from llamafarm_core.vectors import FilterCondition, SearchHit

DEFAULT_TOP_K = 5


@dataclass(frozen=True)
class RetrievalRequest:
    """One query. ``None`` means "the strategy's configured value, else the default".

    - ``top_k``: results wanted (default: the strategy's ``top_k``/``final_k``, else 5).
    - ``score_threshold``: drop results scoring below it; scores are in [0, 1] everywhere.
    - ``filters``: metadata conditions every result satisfies (see
      :mod:`llamafarm_core.retrieval.filters`).
    - ``distance_metric``: rescore vector candidates with this metric (cosine, dot,
      euclidean, manhattan) when it differs from the store's.
    - ``hybrid_alpha``: weight of the vector side against BM25 (1 = vector only, 0 = BM25 only).
    - ``rerank_model``: local path of a CrossEncoder that reorders the candidates.
    - ``query_expansion``: also search with LLM-written variants of the query.
    - ``max_tokens``: token budget of the returned contents, in rank order.
    """

    query: str
    top_k: int | None = None
    score_threshold: float | None = None
    filters: tuple[FilterCondition, ...] = ()
    distance_metric: str | None = None
    hybrid_alpha: float | None = None
    rerank_model: str | None = None
    query_expansion: bool = False
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.query, str) or not self.query.strip():
            raise ValidationFailed("query: must be a non-empty string")
        if self.top_k is not None and not 1 <= self.top_k <= MAX_TOP_K:
            raise ValidationFailed(f"top_k: must be between 1 and {MAX_TOP_K}, got {self.top_k}")
        for name in ("score_threshold", "hybrid_alpha"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValidationFailed(f"{name}: must be between 0 and 1, got {value}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValidationFailed(f"max_tokens: must be at least 1, got {self.max_tokens}")
        object.__setattr__(self, "filters", tuple(self.filters))

    def replace(self, **changes: Any) -> RetrievalRequest:
        """A copy with some fields changed (used to ask nested strategies for more candidates)."""
        return dataclasses.replace(self, **changes)

    def k(self, configured: int | None = None) -> int:
        """The number of results to return: the request's, else ``configured``, else 5."""
        return self.top_k or configured or DEFAULT_TOP_K

    def threshold(self, configured: float | None = None) -> float | None:
        return self.score_threshold if self.score_threshold is not None else configured


@dataclass
class RetrievalResult:
    """What :func:`llamafarm_core.retrieval.service.query` returns.

    ``hits`` are ranked best first, scores in [0, 1]. ``strategy`` is the configured name
    (or type) used; ``warnings`` say what was degraded (e.g. rule-based query variants).
    """

    query: str
    database: str
    strategy: str
    hits: list[SearchHit]
    processing_time_ms: float
    warnings: list[str] = field(default_factory=list)
