"""Importing an example: as a new project, or its data (and optionally its strategies) into
an existing one. Processing is left to the caller (the jobs layer)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from typing import Any

from llamafarm_core.config.loader import config_to_dict
from llamafarm_core.datasets import DatasetStore
from llamafarm_core.errors import BadRequest, Conflict
from llamafarm_core.examples import Example, ExampleDataset
from llamafarm_core.projects import ProjectRef, ProjectStore

COPY_CHUNK = 1 << 20


@dataclass
class ImportResult:
    namespace: str
    project: str
    datasets: list[str] = field(default_factory=list)
    files: int = 0


def import_project(
    projects: ProjectStore, datasets: DatasetStore, example: Example, ref: ProjectRef
) -> ImportResult:
    """Create ``ref`` from the example's llamafarm.yaml and load its datasets' files."""
    config = example.config_data()
    config.pop("datasets", None)  # datasets are created below, with their files
    projects.create_from_config(ref, config)
    try:
        return _load_datasets(datasets, example, ref)
    except BaseException:
        projects.delete(ref)  # all or nothing: no half-imported project is left behind
        raise


def import_data(
    projects: ProjectStore,
    datasets: DatasetStore,
    example: Example,
    ref: ProjectRef,
    *,
    include_strategies: bool,
) -> ImportResult:
    """Add the example's datasets (and files) to an existing project.

    With ``include_strategies`` the example's databases and processing strategies are added
    to the project first (those whose names the project already uses are left as they are).
    Without it, the project must already have the strategies and databases the example names.
    """
    if include_strategies:
        _merge_rag(projects, example, ref)
    return _load_datasets(datasets, example, ref)


def _merge_rag(projects: ProjectStore, example: Example, ref: ProjectRef) -> None:
    theirs = example.config_data().get("rag") or {}
    current = config_to_dict(projects.get(ref).config)
    rag: dict[str, Any] = current.setdefault("rag", {})
    for key in ("databases", "data_processing_strategies"):
        have = {item["name"] for item in rag.get(key, [])}
        rag[key] = rag.get(key, []) + [item for item in theirs.get(key, []) if item.get("name") not in have]
    if "default_database" not in rag and theirs.get("default_database"):
        rag["default_database"] = theirs["default_database"]
    projects.update(ref, current)


def _load_datasets(datasets: DatasetStore, example: Example, ref: ProjectRef) -> ImportResult:
    result = ImportResult(ref.namespace, ref.name)
    for ds in example.manifest.datasets:
        try:
            datasets.create(ref, ds.name, ds.strategy, ds.database)
        except Conflict:
            pass  # importing the same data again reuses the dataset; files already in it are skipped
        except BadRequest as err:
            raise BadRequest(f"example {example.manifest.id!r}, dataset {ds.name!r}: {err.message}") from None
        result.files += _upload(datasets, example, ds, ref)
        result.datasets.append(ds.name)
    return result


def _upload(datasets: DatasetStore, example: Example, ds: ExampleDataset, ref: ProjectRef) -> int:
    count = 0
    for path in example.data_files(ds):
        writer = datasets.open_upload(ref, ds.name)
        with writer, path.open("rb") as fh:
            while block := fh.read(COPY_CHUNK):
                writer.write(block)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            datasets.commit_upload(ref, ds.name, writer, path.name, mime)
        count += 1
    return count
