"""Querying the shared corpus from the plugin tests."""

from __future__ import annotations

from typing import Any

from llamafarm_core.projects import Project
from llamafarm_core.retrieval import RetrievalRequest, RetrievalResult, service
from llamafarm_core.retrieval.filters import parse_filters
from tests.core.retrieval.corpus import Corpus


def ask(
    c: Corpus,
    query: str,
    strategy: str | None = None,
    database: str | None = None,
    project: Project | None = None,
    **fields: Any,
) -> RetrievalResult:
    if "filters" in fields:
        fields["filters"] = tuple(parse_filters(fields["filters"]))
    return service.query(
        c.settings, c.registry, project or c.project, RetrievalRequest(query, **fields), database, strategy
    )


def files(result: RetrievalResult) -> list[str]:
    return [h.metadata["filename"] for h in result.hits]


def with_strategy(c: Corpus, type_name: str, config: dict[str, Any], name: str = "probe") -> Project:
    """A copy of the corpus project (not saved) whose main database has one more strategy."""
    from llamafarm_core.config.models import RetrievalStrategyRef

    project = Project(c.project.ref, c.project.path, c.project.config.model_copy(deep=True), [])
    assert project.config.rag is not None
    db = project.config.rag.databases[0]
    db.retrieval_strategies = [
        *db.retrieval_strategies,
        RetrievalStrategyRef(name=name, type=type_name, config=config),
    ]
    return project
