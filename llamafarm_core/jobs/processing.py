"""What a process request covers, checked before anything is queued: a request-level mistake
(unknown dataset, no strategy, unknown database) is a 4xx at once, not a failed task."""

from __future__ import annotations

from dataclasses import dataclass

from llamafarm_core.databases import require_rag
from llamafarm_core.datasets.store import find_dataset
from llamafarm_core.ingest.pipeline import resolve_strategy
from llamafarm_core.projects import ProjectRef, ProjectStore


@dataclass(frozen=True)
class ProcessTarget:
    files: list[str]
    strategy: str
    database: str


def processing_target(projects: ProjectStore, ref: ProjectRef, dataset: str) -> ProcessTarget:
    """The dataset's files and the strategy and database they go through."""
    project = projects.get(ref)
    ds = find_dataset(project, dataset)
    strategy, _ = resolve_strategy(project, ds)
    rag = require_rag(project)
    database = rag.require_database(ds.database)
    return ProcessTarget(files=list(ds.files), strategy=strategy.name, database=database.name)
