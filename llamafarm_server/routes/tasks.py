"""Tasks: the state of asynchronous processing, and cancelling it. Also adds the ``redis``
and ``workers`` health checks and the app's :class:`JobService` (``app[JOBS]``), which the
datasets ``process`` handler uses to submit and wait."""

from __future__ import annotations

from aiohttp import web

from llamafarm_core.errors import ServiceUnavailable
from llamafarm_core.health import HealthStatus
from llamafarm_core.jobs.connection import describe_url
from llamafarm_core.jobs.records import TaskView
from llamafarm_core.jobs.service import JobService
from llamafarm_server.api import Router, run_blocking
from llamafarm_server.context import HEALTH_CHECKS, PROJECTS, REGISTRY, SETTINGS, NamedCheck, project_ref
from llamafarm_server.schemas.tasks import (
    CancelResponse,
    TaskList,
    TaskListQuery,
    TaskQuery,
    TaskResponse,
    TaskSummary,
)

router = Router("Tasks")
ALL = "/v1/projects/{namespace}/{project}/tasks"
ONE = ALL + "/{task_id}"

JOBS: web.AppKey[JobService] = web.AppKey("jobs", JobService)
# How many workers this server process starts itself (set by ``llamafarm serve``); 0 with
# LF_REDIS_URL by default: workers then run elsewhere, or processing runs in the server.
LOCAL_WORKERS: web.AppKey[int] = web.AppKey("local_workers", int)


@router.get(ALL, query=TaskListQuery, response=TaskList, responses={503: "Redis unreachable"})
async def list_tasks(request: web.Request, query: TaskListQuery) -> TaskList:
    """The project's newest processing tasks (an extension: the reference has no list)."""
    ref = project_ref(request)
    await run_blocking(request.app[PROJECTS].get, ref)
    jobs = request.app[JOBS]

    def views() -> list[tuple[float, TaskView]]:
        records = jobs.store.recent(ref.namespace, ref.name, query.limit)
        return [(r.created_at, jobs.view(r)) for r in records]

    summaries = [
        TaskSummary(
            task_id=v.task_id,
            state=v.state,
            dataset=v.dataset,
            created_at=created,
            current=v.current,
            total=v.total,
            processed_files=v.processed_files,
            skipped_files=v.skipped_files,
            failed_files=v.failed_files,
        )
        for created, v in await run_blocking(views)
    ]
    return TaskList(tasks=summaries, total=len(summaries))


@router.get(
    ONE, query=TaskQuery, response=TaskResponse, responses={404: "no such task", 503: "Redis unreachable"}
)
async def get_task(request: web.Request, query: TaskQuery) -> TaskResponse:
    """Get an asynchronous task's state, per-file progress and result (``?summary=true`` to
    poll: the same counts, only the failed files' details)."""
    ref = project_ref(request)
    await run_blocking(request.app[PROJECTS].get, ref)
    task_id = request.match_info["task_id"]
    view = await run_blocking(request.app[JOBS].get, ref.namespace, ref.name, task_id, summary=query.summary)
    return TaskResponse.of(view)


@router.delete(ONE, response=CancelResponse, responses={404: "no such task", 503: "Redis unreachable"})
async def cancel_task(request: web.Request) -> CancelResponse:
    """Cancel the task's files that haven't started; files being processed finish."""
    ref = project_ref(request)
    await run_blocking(request.app[PROJECTS].get, ref)
    done = await run_blocking(
        request.app[JOBS].cancel, ref.namespace, ref.name, request.match_info["task_id"]
    )
    view = done.view
    if done.cancelled_files:
        message = f"cancelled {len(done.cancelled_files)} of {view.total} files"
    elif view.state.terminal:
        message = "the task had already finished; nothing to cancel"
    else:
        message = "nothing left to cancel; the files being processed will finish"
    return CancelResponse(
        task_id=view.task_id,
        state=view.state,
        message=message,
        cancelled_files=done.cancelled_files,
        done_files=done.done_files,
        running_files=done.running_files,
    )


async def redis_check(app: web.Application) -> tuple[HealthStatus, str]:
    """Redis answers PING."""
    jobs = app[JOBS]
    try:
        await run_blocking(jobs.ping)
    except ServiceUnavailable as err:
        return HealthStatus.UNHEALTHY, err.message
    return HealthStatus.HEALTHY, describe_url(jobs.url)


async def workers_check(app: web.Application) -> tuple[HealthStatus, str]:
    """How many workers are alive (their heartbeat is recent)."""
    try:
        alive = await run_blocking(app[JOBS].alive_workers)
    except ServiceUnavailable:
        return HealthStatus.UNHEALTHY, "unknown: Redis is unreachable"
    if alive == 0 and app.get(LOCAL_WORKERS) == 0:
        return HealthStatus.HEALTHY, (
            "0 alive; this server starts no workers (LF_REDIS_URL / --workers 0): processing "
            "runs in the server until a `llamafarm worker` joins the same Redis"
        )
    if alive == 0:
        return HealthStatus.DEGRADED, (
            "0 alive: asynchronous tasks wait until a worker starts (`llamafarm worker`); "
            "synchronous processing runs in the server meanwhile"
        )
    return HealthStatus.HEALTHY, f"{alive} alive"


async def _close(app: web.Application) -> None:
    app[JOBS].close()


def setup(app: web.Application) -> None:
    app[JOBS] = JobService(app[SETTINGS], app[REGISTRY])
    app[HEALTH_CHECKS].extend([NamedCheck("redis", redis_check), NamedCheck("workers", workers_check)])
    app.on_cleanup.append(_close)
