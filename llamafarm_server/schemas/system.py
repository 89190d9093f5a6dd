from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field


class Hello(BaseModel):
    message: str


class Info(BaseModel):
    version: str
    data_directory: str
    ui: str = Field("/ui/", description="Path of the web UI served by this server")


class HealthStatus(str, Enum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"

    @classmethod
    def worst(cls, statuses: list[HealthStatus]) -> HealthStatus:
        order = [cls.HEALTHY, cls.DEGRADED, cls.UNHEALTHY]
        return max(statuses, key=order.index, default=cls.HEALTHY)


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
