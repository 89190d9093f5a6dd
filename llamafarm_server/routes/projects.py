"""Projects: list, create, get, update, delete."""

from __future__ import annotations

import json

from aiohttp import web

from llamafarm_core.config.loader import config_to_dict
from llamafarm_core.datasets.store import DatasetStore
from llamafarm_core.errors import PayloadTooLarge, PreconditionFailed
from llamafarm_core.names import check_name
from llamafarm_core.projects import Project, ProjectRef
from llamafarm_core.secrets import mask_config, unmask_config
from llamafarm_server.api import Router, json_response, run_blocking, run_long
from llamafarm_server.context import PROJECTS, REGISTRY, SETTINGS, project_ref
from llamafarm_server.routes.chat import MCP
from llamafarm_server.routes.tasks import JOBS
from llamafarm_server.schemas.projects import (
    CreateProject,
    ProjectBody,
    ProjectList,
    ProjectResponse,
    UpdateProject,
)

router = Router("Projects")
NS = "/v1/projects/{namespace}"
ONE = "/v1/projects/{namespace}/{project}"


def _body(project: Project) -> ProjectBody:
    # literal credentials are masked; ${VAR} placeholders are shown as written
    config = mask_config(config_to_dict(project.config))
    return ProjectBody(namespace=project.namespace, name=project.name, config=config)


def _with_etag(project: Project, etag: str) -> web.Response:
    """The project as JSON with its ETag (send it back in If-Match to update safely)."""
    return json_response(_response(project).model_dump(mode="json"), headers={"ETag": etag})


def _response(project: Project) -> ProjectResponse:
    return ProjectResponse(project=_body(project), warnings=project.warnings)


@router.get(NS, response=ProjectList)
async def list_projects(request: web.Request) -> ProjectList:
    """List the projects of a namespace."""
    namespace = check_name(request.match_info["namespace"], "namespace")
    projects = await run_blocking(request.app[PROJECTS].in_namespace, namespace)
    return ProjectList(total=len(projects), projects=[_body(p) for p in projects])


@router.post(NS, body=CreateProject, response=ProjectResponse, status=201, responses={409: "exists"})
async def create_project(request: web.Request, body: CreateProject) -> ProjectResponse:
    """Create a project from a template (server, rag, or a custom one)."""
    ref = ProjectRef(request.match_info["namespace"], body.name)
    return _response(await run_blocking(request.app[PROJECTS].create, ref, body.config_template))


@router.get(ONE, response=ProjectResponse)
async def get_project(request: web.Request) -> web.Response:
    """Get a project and its config (with an ETag for If-Match)."""
    ref, store = project_ref(request), request.app[PROJECTS]
    # the ETag first: if a write slips in between, the ETag is older than the config and a
    # PUT with it is a 412 (safe), never a silent overwrite
    etag = await run_blocking(store.etag, ref)
    return _with_etag(await run_blocking(store.get, ref), etag)


@router.put(
    ONE,
    body=UpdateProject,
    response=ProjectResponse,
    responses={412: "If-Match is not the current ETag", 413: "config too large", 422: "invalid config"},
)
async def update_project(request: web.Request, body: UpdateProject) -> web.Response:
    """Replace a project's config; an invalid config is a 422 and changes nothing. Send the
    ETag of your GET as ``If-Match`` so a concurrent change is a 412, not lost."""
    limit = request.app[SETTINGS].max_config_bytes
    size = len(json.dumps(body.config, default=str))
    if size > limit:
        raise PayloadTooLarge(f"config of {size} bytes, more than {limit} (LF_MAX_CONFIG_BYTES)")
    ref, store = project_ref(request), request.app[PROJECTS]
    current = await run_blocking(store.get, ref)
    config = unmask_config(body.config, config_to_dict(current.config))
    if_match = request.headers.get("If-Match")
    listed = config.get("datasets") if isinstance(config, dict) else None
    kept = {d.get("name") for d in listed or [] if isinstance(d, dict)}
    removed = [d.name for d in current.config.datasets if d.name not in kept]
    if removed:
        # datasets the new config drops are deleted like DELETE …/datasets/{name} (jobs
        # stopped, chunks and unshared files removed) once the new config is known valid
        await run_blocking(store.validate, ref, config)
        if if_match is not None and if_match not in ("*", await run_blocking(store.etag, ref)):
            raise PreconditionFailed(
                f"project {ref.namespace}/{ref.name} changed since you read it (If-Match {if_match} "
                "is not its current ETag); GET it again and reapply your change"
            )
        for name in removed:
            await run_long(request, request.app[JOBS].stop_dataset, ref.namespace, ref.name, name)
            await run_blocking(_datasets(request).delete, ref, name)
        if_match = None
    updated = await run_blocking(store.update, ref, config, if_match)
    # MCP servers (stdio children) the new config no longer has, or changed, stop now.
    servers = updated.config.mcp.servers if updated.config.mcp else []
    await run_blocking(request.app[MCP].release, str(updated.path), servers)
    return _with_etag(updated, updated.etag or "")


@router.delete(ONE, response=ProjectResponse)
async def delete_project(request: web.Request) -> ProjectResponse:
    """Delete a project and everything under it; answers with the project as it was. Tasks
    processing its datasets are cancelled first (running jobs finish)."""
    ref = project_ref(request)
    project = await run_blocking(request.app[PROJECTS].get, ref)
    for dataset in project.config.datasets:
        await run_long(request, request.app[JOBS].stop_dataset, ref.namespace, ref.name, dataset.name)
    deleted = await run_blocking(request.app[PROJECTS].delete, ref)
    await run_blocking(request.app[MCP].release, str(project.path))  # its stdio MCP servers exit
    return _response(deleted)


def _datasets(request: web.Request) -> DatasetStore:
    return DatasetStore(request.app[SETTINGS], request.app[PROJECTS], request.app[REGISTRY])
