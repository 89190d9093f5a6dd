from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExampleSummary(BaseModel):
    id: str
    slug: str
    title: str
    description: str
    primaryModel: str | None = None  # noqa: N815 (the reference's field name)
    tags: list[str]
    dataset_count: int
    data_size_bytes: int
    data_size_human: str
    project_size_bytes: int
    project_size_human: str
    updated_at: str


class ExampleList(BaseModel):
    examples: list[ExampleSummary]


class ImportProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str
    name: str
    process: bool = Field(True, description="Start processing the imported datasets (asynchronously).")


class ImportData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str
    project: str
    include_strategies: bool = Field(True, description="Also add the example's databases and strategies.")
    process: bool = True


class ImportResponse(BaseModel):
    project: str
    namespace: str
    datasets: list[str]
    task_ids: list[str]
    files: int = 0
