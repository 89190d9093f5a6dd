"""The health of a service or a database: one scale for ``GET /health`` and ``…/rag/health``."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class HealthStatus(str, Enum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"  # works, with something missing (e.g. only BM25 search)
    UNHEALTHY = "unhealthy"

    @classmethod
    def worst(cls, statuses: Iterable[HealthStatus]) -> HealthStatus:
        """The worst of ``statuses``; healthy when there are none."""
        order = [cls.HEALTHY, cls.DEGRADED, cls.UNHEALTHY]
        return max(statuses, key=order.index, default=cls.HEALTHY)
