"""The models a project configures (``GET …/models``)."""

from __future__ import annotations

from aiohttp import web

from llamafarm_server.api import Router, run_blocking
from llamafarm_server.context import PROJECTS, project_ref
from llamafarm_server.schemas.chat import ModelInfo, ModelList

router = Router("Models")


@router.get("/v1/projects/{namespace}/{project}/models", response=ModelList)
async def list_models(request: web.Request) -> ModelList:
    """List the project's configured models; the default one has ``default: true``."""
    project = await run_blocking(request.app[PROJECTS].get_bare, project_ref(request))
    runtime = project.config.runtime
    default = runtime.default().name
    infos = [
        ModelInfo(
            id=m.name,
            owned_by=m.provider,
            name=m.name,
            provider=m.provider,
            model=m.model,
            default=m.name == default,
            description=m.description,
            base_url=m.base_url,
        )
        for m in runtime.resolved_models()
    ]
    return ModelList(total=len(infos), data=infos, models=infos)
