"""What processing reports, per file and per run. JSON-ready through ``to_dict()`` (RQ jobs
return these dicts; the server answers with them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class FileStatus(str, Enum):
    PROCESSED = "processed"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class FileResult:
    """The outcome for one file: the ``details[]`` entry of the process response."""

    hash: str
    filename: str | None
    status: FileStatus
    parser: str | None = None
    extractors: list[str] = field(default_factory=list)
    chunks: int = 0
    chunk_size: int | None = None
    embedder: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "hash": self.hash,
            "filename": self.filename,
            "status": self.status.value,
            "parser": self.parser,
            "extractors": list(self.extractors),
            "chunks": self.chunks,
            "chunk_size": self.chunk_size,
            "embedder": self.embedder,
            "warnings": list(self.warnings),
        }
        if self.reason is not None:
            data["reason"] = self.reason
        return data


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
