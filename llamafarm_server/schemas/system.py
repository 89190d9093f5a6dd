from __future__ import annotations

from pydantic import BaseModel, Field

from llamafarm_core.health import HealthStatus


class Hello(BaseModel):
    message: str


class Info(BaseModel):
    version: str
    data_directory: str
    ui: str = Field(default="/ui/", description="Path of the web UI served by this server")


class Health(BaseModel):
    status: HealthStatus
    services: dict[str, HealthStatus]
    details: dict[str, str] = {}


class Liveness(BaseModel):
    status: str = "alive"


class PluginDescription(BaseModel):
    kind: str
    name: str
    aliases: list[str]
    package: str
    description: str
    config_schema: dict


class PluginList(BaseModel):
    kinds: list[str]
    plugins: list[PluginDescription]
