"""Projects: list, create, get, update, delete."""

from __future__ import annotations

from aiohttp import web

from llamafarm_core.config.loader import config_to_dict
from llamafarm_core.names import check_name
from llamafarm_core.projects import Project, ProjectRef
from llamafarm_server.api import Router, run_blocking
from llamafarm_server.context import PROJECTS, project_ref
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
    return ProjectBody(namespace=project.namespace, name=project.name, config=config_to_dict(project.config))


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
async def get_project(request: web.Request) -> ProjectResponse:
    """Get a project and its config."""
    return _response(await run_blocking(request.app[PROJECTS].get, project_ref(request)))


@router.put(ONE, body=UpdateProject, response=ProjectResponse, responses={422: "invalid config"})
async def update_project(request: web.Request, body: UpdateProject) -> ProjectResponse:
    """Replace a project's config; an invalid config is a 422 and changes nothing."""
    return _response(await run_blocking(request.app[PROJECTS].update, project_ref(request), body.config))


@router.delete(ONE, response=ProjectResponse)
async def delete_project(request: web.Request) -> ProjectResponse:
    """Delete a project and everything under it; answers with the project as it was."""
    return _response(await run_blocking(request.app[PROJECTS].delete, project_ref(request)))
