from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProjectBody(BaseModel):
    namespace: str
    name: str
    config: dict[str, Any]


class ProjectResponse(BaseModel):
    project: ProjectBody
    warnings: list[str] = Field(default_factory=list)


class ProjectList(BaseModel):
    total: int
    projects: list[ProjectBody]


class CreateProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Project name, ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    config_template: str | None = Field(None, description="server, rag, or a custom template name")


class UpdateProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any]
