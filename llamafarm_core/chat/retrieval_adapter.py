"""The one place chat calls the retrieval service (so its signature is adapted here only)."""

from __future__ import annotations

from llamafarm_core.errors import ComponentUnavailable
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings
from llamafarm_core.vectors import SearchHit


def search(
    settings: Settings,
    registry: Registry,
    project: Project,
    query: str,
    database: str,
    top_k: int | None,
    score_threshold: float | None,
) -> list[SearchHit]:
    """Hits for ``query`` from ``database`` with its default retrieval strategy."""
    try:
        from llamafarm_core.retrieval import service
    except ImportError:
        raise ComponentUnavailable(
            "RAG retrieval is not available: llamafarm_core.retrieval.service is missing"
        ) from None
    raise ComponentUnavailable(f"RAG retrieval service has an unknown interface: {service!r}")
