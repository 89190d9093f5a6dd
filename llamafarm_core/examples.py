"""The example catalog: projects with data that ship with LlamaFarm (or live in
``$LF_EXAMPLES_DIR``), each ``<id>/manifest.yaml`` + ``<id>/llamafarm.yaml`` + data files."""

from __future__ import annotations

import os
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from llamafarm_core.config.loader import parse_model
from llamafarm_core.datasets.blobs import human_bytes
from llamafarm_core.errors import NotFound
from llamafarm_core.names import NAME_PATTERN


class ExampleDataset(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=NAME_PATTERN)
    strategy: str
    database: str
    ingest: list[str] = Field(default_factory=list, description="Globs relative to the example dir.")


class Manifest(BaseModel):
    """``manifest.yaml``, as in the original's ``examples/<id>/manifest.yaml``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str = Field(pattern=NAME_PATTERN)
    slug: str
    title: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    primary_model: str | None = Field(None, alias="primaryModel")
    datasets: list[ExampleDataset] = Field(default_factory=list)
    process_after_ingest: bool = False
    updated_at: str | None = None
    sample_question: str | None = Field(None, description="A question the example's data answers.")
    sample_source: str | None = Field(None, description="The file that answers sample_question.")


class Example(BaseModel):
    manifest: Manifest
    path: Path

    def data_files(self, dataset: ExampleDataset) -> list[Path]:
        """The files a dataset ingests, sorted; globs never leave the example directory."""
        root = self.path.resolve()
        found: set[Path] = set()
        for pattern in dataset.ingest:
            for p in root.glob(pattern):
                if p.is_file() and p.resolve().is_relative_to(root):
                    found.add(p)
        return sorted(found)

    def config_data(self) -> dict[str, Any]:
        data = yaml.safe_load((self.path / "llamafarm.yaml").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}

    def summary(self) -> dict[str, Any]:
        data_size = sum(p.stat().st_size for ds in self.manifest.datasets for p in self.data_files(ds))
        project_size = (self.path / "llamafarm.yaml").stat().st_size + (
            self.path / "manifest.yaml"
        ).stat().st_size
        updated = self.manifest.updated_at or datetime.fromtimestamp(
            (self.path / "manifest.yaml").stat().st_mtime
        ).isoformat(timespec="seconds")
        return {
            "id": self.manifest.id,
            "slug": self.manifest.slug,
            "title": self.manifest.title,
            "description": self.manifest.description,
            "primaryModel": self.manifest.primary_model,
            "tags": self.manifest.tags,
            "dataset_count": len(self.manifest.datasets),
            "data_size_bytes": data_size,
            "data_size_human": human_size(data_size),
            "project_size_bytes": project_size,
            "project_size_human": human_size(project_size),
            "updated_at": updated,
        }


def human_size(n: int) -> str:
    """The reference's compact form: ``512B``, ``4.0KB``, ``2.0MB``."""
    return human_bytes(n).replace(" bytes", "B").replace(" ", "")


def examples_root() -> Path:
    override = os.environ.get("LF_EXAMPLES_DIR")
    if override:
        return Path(override)
    return Path(str(resources.files("llamafarm_core").joinpath("example_projects")))


def list_examples(root: Path | None = None) -> list[Example]:
    base = root or examples_root()
    out = []
    for manifest in sorted(base.glob("*/manifest.yaml")):
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        out.append(Example(manifest=parse_model(Manifest, data, str(manifest)), path=manifest.parent))
    return out


def get_example(example_id: str, root: Path | None = None) -> Example:
    for example in list_examples(root):
        if example.manifest.id == example_id:
            return example
    known = ", ".join(e.manifest.id for e in list_examples(root)) or "(none)"
    raise NotFound(f"example {example_id!r} not found; known examples: {known}")
