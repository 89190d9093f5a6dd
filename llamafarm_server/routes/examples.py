"""Examples: list the catalog; import one as a new project, or its data into a project."""

from __future__ import annotations

from aiohttp import web

from llamafarm_core.datasets import DatasetStore
from llamafarm_core.example_import import ImportResult, import_data, import_project
from llamafarm_core.examples import get_example, list_examples
from llamafarm_core.jobs.processing import processing_target
from llamafarm_core.projects import ProjectRef
from llamafarm_server.api import Router, run_blocking
from llamafarm_server.context import PROJECTS, REGISTRY, SETTINGS
from llamafarm_server.routes.tasks import JOBS
from llamafarm_server.schemas.examples import (
    ExampleList,
    ExampleSummary,
    ImportData,
    ImportProject,
    ImportResponse,
)

router = Router("Examples")


def _datasets(request: web.Request) -> DatasetStore:
    return DatasetStore(request.app[SETTINGS], request.app[PROJECTS], request.app[REGISTRY])


async def _respond(request: web.Request, result: ImportResult, process: bool) -> ImportResponse:
    """Start processing each imported dataset (async tasks) when asked."""
    task_ids: list[str] = []
    if process:
        ref = ProjectRef(result.namespace, result.project)
        jobs = request.app[JOBS]
        for name in result.datasets:
            target = await run_blocking(processing_target, request.app[PROJECTS], ref, name)
            sub = await run_blocking(jobs.submit, ref.namespace, ref.name, name, target.files)
            task_ids.append(sub.record.task_id)
    return ImportResponse(
        project=result.project,
        namespace=result.namespace,
        datasets=result.datasets,
        task_ids=task_ids,
        files=result.files,
    )


@router.get("/v1/examples", response=ExampleList)
async def list_all(request: web.Request) -> ExampleList:
    """List the example projects that can be imported."""
    examples = await run_blocking(list_examples)
    return ExampleList(examples=[ExampleSummary(**e.summary()) for e in examples])


@router.post(
    "/v1/examples/{example_id}/import-project", body=ImportProject, response=ImportResponse, status=201
)
async def import_as_project(request: web.Request, body: ImportProject) -> ImportResponse:
    """Create a new project from an example, with its data (and start processing it)."""
    example = await run_blocking(get_example, request.match_info["example_id"])
    ref = ProjectRef(body.namespace, body.name)
    result = await run_blocking(import_project, request.app[PROJECTS], _datasets(request), example, ref)
    return await _respond(request, result, body.process)


@router.post("/v1/examples/{example_id}/import-data", body=ImportData, response=ImportResponse)
async def import_into_project(request: web.Request, body: ImportData) -> ImportResponse:
    """Add an example's datasets (and optionally its strategies) to an existing project."""
    example = await run_blocking(get_example, request.match_info["example_id"])
    ref = ProjectRef(body.namespace, body.project)
    result = await run_blocking(
        import_data,
        request.app[PROJECTS],
        _datasets(request),
        example,
        ref,
        include_strategies=body.include_strategies,
    )
    return await _respond(request, result, body.process)
