from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from llamafarm_core.jobs.records import FileStatus, TaskState, TaskView


class TaskMeta(BaseModel):
    current: int = Field(description="files done (processed, skipped or failed)")
    total: int
    files: dict[str, FileStatus] = Field(description="status of each file, by hash")


class TaskResult(BaseModel):
    processed_files: int
    skipped_files: int
    failed_files: int
    details: list[dict[str, Any]] = Field(description="per file: hash, status, reason when failed, …")


class TaskResponse(BaseModel):
    task_id: str
    state: TaskState
    meta: TaskMeta
    result: TaskResult
    error: str | None = None
    traceback: str | None = None

    @classmethod
    def of(cls, view: TaskView) -> TaskResponse:
        return cls(
            task_id=view.task_id,
            state=view.state,
            meta=TaskMeta(current=view.current, total=view.total, files=view.files),
            result=TaskResult(
                processed_files=view.processed_files,
                skipped_files=view.skipped_files,
                failed_files=view.failed_files,
                details=[d.model_dump(mode="json") for d in view.details],
            ),
            error=view.error,
            traceback=view.traceback,
        )


class CancelResponse(BaseModel):
    task_id: str
    state: TaskState
    message: str
    cancelled_files: list[str] = Field(description="files whose jobs were cancelled before running")
    done_files: list[str] = Field(description="files already processed, skipped or failed")
    running_files: list[str] = Field(description="files being processed now; they finish")


class TaskSummary(BaseModel):
    task_id: str
    state: TaskState
    dataset: str
    created_at: float = Field(description="Unix time the task was submitted")
    current: int = Field(description="files done (processed, skipped or failed)")
    total: int
    processed_files: int
    skipped_files: int
    failed_files: int


class TaskList(BaseModel):
    tasks: list[TaskSummary] = Field(description="newest first")
    total: int


class TaskListQuery(BaseModel):
    limit: int = Field(20, ge=1, le=500, description="how many of the newest tasks")


class TaskQuery(BaseModel):
    summary: bool = Field(
        False,
        description=(
            "true: for polling a large task. Same state, counts and progress, but meta.files "
            "lists only the files being processed now and result.details only the failed "
            "files; the server reads each ended job's outcome once, so a poll costs the "
            "same for 100 or 100,000 files."
        ),
    )
