"""The one place chat calls the retrieval service (so its signature is adapted here only)."""

from __future__ import annotations

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
    """Hits for ``query`` from ``database`` with its default retrieval strategy; best first.

    ``top_k``/``score_threshold`` None mean the strategy's configured values. A blank
    query retrieves nothing.
    """
    if not query.strip():
        return []
    from llamafarm_core.retrieval import service
    from llamafarm_core.retrieval.request import RetrievalRequest

    request = RetrievalRequest(query, top_k=top_k, score_threshold=score_threshold)
    return service.query(settings, registry, project, request, database=database).hits
