"""The typed values the client hands to callers and progress callbacks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

TERMINAL_STATES = ("SUCCESS", "FAILURE")


@dataclass(frozen=True)
class UploadProgress:
    """Where an upload stands; sent to ``on_progress`` as bytes go out and batches finish."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    uploaded: int
    skipped: int
    failed: int
    current: str | None = None


@dataclass(frozen=True)
class UploadedFile:
    """One file's outcome: ``uploaded``, ``skipped`` (same content already there) or ``failed``."""

    path: str
    filename: str | None
    status: str
    size: int
    hash: str | None = None
    reason: str | None = None


@dataclass
class UploadSummary:
    total: int = 0
    uploaded: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0
    batches: int = 0
    files: list[UploadedFile] = field(default_factory=list)

    def add(self, item: UploadedFile) -> None:
        self.files.append(item)
        self.total += 1
        if item.status == "uploaded":
            self.uploaded += 1
        elif item.status == "skipped":
            self.skipped += 1
        else:
            self.failed += 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class FileFailure:
    filename: str | None
    hash: str
    reason: str | None


@dataclass(frozen=True)
class TaskProgress:
    """A processing task as ``GET …/tasks/{id}`` shows it, in the terms a progress bar wants."""

    task_id: str
    state: str
    done: int
    total: int
    processed: int
    skipped: int
    failed: int
    current: str | None
    failures: list[FileFailure]
    raw: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_STATES

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> TaskProgress:
        meta, result = data.get("meta") or {}, data.get("result") or {}
        details = result.get("details") or []
        names = {d.get("hash"): d.get("filename") for d in details}
        files: dict[str, str] = meta.get("files") or {}
        running = [h for h, status in files.items() if status == "processing"]
        current = (names.get(running[0]) or running[0][:12]) if running else None
        failures = [
            FileFailure(d.get("filename"), d.get("hash", ""), d.get("reason"))
            for d in details
            if d.get("status") == "failed"
        ]
        return cls(
            task_id=data["task_id"],
            state=data["state"],
            done=int(meta.get("current", 0)),
            total=int(meta.get("total", 0)),
            processed=int(result.get("processed_files", 0)),
            skipped=int(result.get("skipped_files", 0)),
            failed=int(result.get("failed_files", 0)),
            current=current,
            failures=failures,
            raw=data,
        )


@dataclass
class ChatTurn:
    """One answered chat turn: the text, the retrieved sources and the session it belongs to."""

    content: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    session_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
