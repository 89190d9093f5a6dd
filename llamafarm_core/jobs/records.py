"""Tasks on disk: the typed records and where they live.

A task is one processing request: a group of jobs, each over a few files.
``projects/{ns}/{project}/tasks/{task_id}.json`` is its record (written at submission, again
on cancel, and once more with the final state when it ends); each job writes its outcome
to ``tasks/{task_id}.jobs/{job_id}.json`` as it finishes. One file per writer means no
read-modify-write races between workers on different machines, and the state survives a
Redis restart (or loss).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llamafarm_core.errors import NotFound
from llamafarm_core.fsutil import StatKey, atomic_write_json, read_json, stat_key
from llamafarm_core.ingest.results import FileStatus
from llamafarm_core.settings import Settings

_TASK_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class TaskState(str, Enum):
    """Celery's names, as the original API used them."""

    PENDING = "PENDING"
    STARTED = "STARTED"
    RETRY = "RETRY"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"

    @property
    def terminal(self) -> bool:
        return self in (TaskState.SUCCESS, TaskState.FAILURE)


class FileDetail(BaseModel):
    """One file's entry in a result: hash, status, reason when failed, and whatever the
    pipeline reports about it (parser, chunks, embedder…)."""

    model_config = ConfigDict(extra="allow")

    hash: str
    status: FileStatus
    filename: str | None = None
    reason: str | None = None


class JobPlan(BaseModel):
    job_id: str
    files: list[str]


class JobOutcome(BaseModel):
    """What a job reports when it ends without raising: its files' details, or the error
    that stopped it (then each of its files failed with that reason)."""

    job_id: str
    files: list[FileDetail] = Field(default_factory=list)
    error: str | None = None
    traceback: str | None = None
    finished_at: float = Field(default_factory=time.time)


class TaskView(BaseModel):
    """A task's state as the API shows it."""

    task_id: str
    state: TaskState
    namespace: str
    project: str
    dataset: str
    total: int
    current: int
    files: dict[str, FileStatus]
    details: list[FileDetail]
    processed_files: int = 0
    skipped_files: int = 0
    failed_files: int = 0
    error: str | None = None
    traceback: str | None = None


class TaskRecord(BaseModel):
    task_id: str
    function: str
    namespace: str
    project: str
    dataset: str
    files: list[str]
    jobs: list[JobPlan]
    created_at: float = Field(default_factory=time.time)
    cancelled_at: float | None = None
    final: TaskView | None = None


RECORDS_KEPT = 32  # parsed task records a store keeps (by file identity), for polling


class TaskStore:
    """Reads and writes task records and job outcomes (atomic writes).

    A record lists every file of its task twice (the files and each job's), so a 100,000-file
    task's record is megabytes of JSON: :meth:`load` keeps the last :data:`RECORDS_KEPT`
    parsed records and parses again only when the file's identity (``fsutil.stat_key``)
    changed. Each caller gets its own copy."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._parsed: OrderedDict[Path, tuple[StatKey, TaskRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def tasks_dir(self, namespace: str, project: str) -> Path:
        return self.settings.projects_dir / namespace / project / "tasks"

    def record_path(self, namespace: str, project: str, task_id: str) -> Path:
        return self.tasks_dir(namespace, project) / f"{task_id}.json"

    def outcomes_dir(self, namespace: str, project: str, task_id: str) -> Path:
        return self.tasks_dir(namespace, project) / f"{task_id}.jobs"

    def save(self, record: TaskRecord) -> None:
        path = self.record_path(record.namespace, record.project, record.task_id)
        atomic_write_json(path, record.model_dump(mode="json"))

    def load(self, namespace: str, project: str, task_id: str) -> TaskRecord:
        """The record, or NotFound (also for ids that can't be ours)."""
        if not isinstance(task_id, str) or not _TASK_ID.fullmatch(task_id):
            raise NotFound(f"task {task_id[:80]!r} not found in project {namespace}/{project}")
        path = self.record_path(namespace, project, task_id)
        try:
            identity = stat_key(path.stat())
        except FileNotFoundError:
            raise NotFound(f"task {task_id} not found in project {namespace}/{project}") from None
        with self._lock:
            kept = self._parsed.get(path)
            if kept is not None and kept[0] == identity:
                self._parsed.move_to_end(path)
                return kept[1].model_copy()
        data = read_json(path)
        if data is None:
            raise NotFound(f"task {task_id} not found in project {namespace}/{project}")
        try:
            record = TaskRecord.model_validate(data)
        except ValidationError:
            raise NotFound(f"task {task_id} has an unreadable record; it cannot be shown") from None
        with self._lock:
            self._parsed[path] = (identity, record)
            self._parsed.move_to_end(path)
            while len(self._parsed) > RECORDS_KEPT:
                self._parsed.popitem(last=False)
        return record.model_copy()

    def recent(self, namespace: str, project: str, limit: int) -> list[TaskRecord]:
        """The project's ``limit`` newest task records (unreadable ones are left out)."""
        directory = self.tasks_dir(namespace, project)
        paths = (
            [p for p in directory.glob("*.json") if _TASK_ID.fullmatch(p.stem)] if directory.is_dir() else []
        )
        records: list[TaskRecord] = []
        for path in paths:
            try:
                records.append(TaskRecord.model_validate(read_json(path)))
            except ValidationError:
                continue
        records.sort(key=lambda r: r.created_at, reverse=True)
        return records[:limit]

    def discard(self, record: TaskRecord) -> None:
        """Remove a record that was never submitted (it lost the race for its dataset)."""
        self.record_path(record.namespace, record.project, record.task_id).unlink(missing_ok=True)

    def write_outcome(self, namespace: str, project: str, task_id: str, outcome: JobOutcome) -> None:
        path = self.outcomes_dir(namespace, project, task_id) / f"{outcome.job_id}.json"
        atomic_write_json(path, outcome.model_dump(mode="json"))

    def all_ended(self, record: TaskRecord) -> bool:
        """Whether every job of the task has written its outcome (a cheap check: no reads)."""
        directory = self.outcomes_dir(record.namespace, record.project, record.task_id)
        return all((directory / f"{plan.job_id}.json").is_file() for plan in record.jobs)

    def outcomes(self, record: TaskRecord) -> dict[str, JobOutcome]:
        """The outcomes the task's jobs have written (readable ones)."""
        found: dict[str, JobOutcome] = {}
        for plan in record.jobs:
            if (outcome := self.outcome(record, plan.job_id)) is not None:
                found[plan.job_id] = outcome
        return found

    def outcome(self, record: TaskRecord, job_id: str) -> JobOutcome | None:
        """One job's outcome; None when it has none yet (or an unreadable one)."""
        data: Any = read_json(
            self.outcomes_dir(record.namespace, record.project, record.task_id) / f"{job_id}.json"
        )
        if data is None:
            return None
        try:
            return JobOutcome.model_validate(data)
        except ValidationError:
            return None

    def outcome_versions(self, record: TaskRecord) -> dict[str, StatKey]:
        """Which jobs have written an outcome, each with its file's identity
        (``fsutil.stat_key``): a ``stat`` per job, no reads."""
        directory = self.outcomes_dir(record.namespace, record.project, record.task_id)
        found: dict[str, StatKey] = {}
        for plan in record.jobs:
            try:
                found[plan.job_id] = stat_key((directory / f"{plan.job_id}.json").stat())
            except FileNotFoundError:
                continue
        return found
