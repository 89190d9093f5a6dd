"""What processing reports, per file and per run. JSON-ready through ``to_dict()`` (RQ jobs
return these dicts; the server answers with them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class FileStatus(str, Enum):
    """A file's status in a processing run: a run ends each file processed, skipped or
    failed; a queued task (:mod:`llamafarm_core.jobs`) also shows the states before that."""

    PENDING = "pending"
    PROCESSING = "processing"
    RETRY = "retry"
    PROCESSED = "processed"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        return self in (FileStatus.PROCESSED, FileStatus.SKIPPED, FileStatus.FAILED)


class FileResult(BaseModel):
    """The outcome for one file: the ``details[]`` entry of the process response (this model
    is the response's too; its field order is the wire format)."""

    hash: str
    filename: str | None
    status: FileStatus = Field(description="processed, skipped or failed (pending… while queued)")
    parser: str | None = None
    extractors: list[str] = Field(default_factory=list)
    chunks: int = 0
    chunk_size: int | None = None
    embedder: str | None = None
    reason: str | None = None
    warnings: list[str] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without ``reason`` when there is none (what a job returns)."""
        return self.model_dump(mode="json", exclude={"reason"} if self.reason is None else None)


@dataclass
class ProcessReport:
    """A processing run over (some of) a dataset's files."""

    dataset: str
    strategy: str
    database: str
    results: list[FileResult]

    def __iter__(self) -> Iterator[FileResult]:
        """Iterating a report yields its per-file results."""
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def count(self, status: FileStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.results if r.status == FileStatus.PROCESSED)

    def to_dict(self) -> dict[str, Any]:
        """The process response body (reference shape)."""
        return {
            "message": "Dataset processing completed",
            "dataset": self.dataset,
            "processed_files": self.count(FileStatus.PROCESSED),
            "skipped_files": self.count(FileStatus.SKIPPED),
            "failed_files": self.count(FileStatus.FAILED),
            "strategy": self.strategy,
            "database": self.database,
            "details": [r.to_dict() for r in self.results],
        }
