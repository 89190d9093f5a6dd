"""Per-dataset, per-file processing state: ``datasets/{d}/state/{sha256}.json``.

The record survives workers and restarts: it is what decides whether a file is ``skipped``
(processed before with the same fingerprint) and which chunk ids belong to it.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.fsutil import atomic_write_bytes, atomic_write_many, read_json

_HEX64 = re.compile(r"[0-9a-f]{64}")


class ProcessingStatus(str, Enum):
    """Where a file of a dataset stands. A file without a record is ``pending``."""

    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


@dataclass
class FileState:
    file_hash: str
    status: ProcessingStatus
    fingerprint: str | None = None
    database: str | None = None
    parser: str | None = None
    embedder: str | None = None
    extractors: list[str] = field(default_factory=list)
    chunk_size: int | None = None
    chunk_ids: list[str] = field(default_factory=list)
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    updated_at: float = field(default_factory=time.time)

    @property
    def chunk_count(self) -> int:
        return len(self.chunk_ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file_hash": self.file_hash,
            "status": self.status.value,
            "fingerprint": self.fingerprint,
            "database": self.database,
            "parser": self.parser,
            "embedder": self.embedder,
            "extractors": list(self.extractors),
            "chunk_size": self.chunk_size,
            "chunk_ids": list(self.chunk_ids),
            "reason": self.reason,
            "warnings": list(self.warnings),
            "updated_at": self.updated_at,
            "chunk_count": self.chunk_count,
        }

    def to_json(self) -> bytes:
        """The record as stored: compact JSON (json's C encoder; ``indent`` is pure Python)."""
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileState:
        return cls(
            file_hash=str(data["file_hash"]),
            status=ProcessingStatus(data.get("status", "pending")),
            fingerprint=data.get("fingerprint"),
            database=data.get("database"),
            parser=data.get("parser"),
            embedder=data.get("embedder"),
            extractors=[str(x) for x in data.get("extractors") or []],
            chunk_size=data.get("chunk_size"),
            chunk_ids=[str(i) for i in data.get("chunk_ids") or []],
            reason=data.get("reason"),
            warnings=[str(w) for w in data.get("warnings") or []],
            updated_at=float(data.get("updated_at", 0.0)),
        )


class StateStore:
    """The state records of one dataset."""

    def __init__(self, layout: ProjectLayout, dataset: str) -> None:
        self.layout = layout
        self.dataset = dataset

    def get(self, file_hash: str) -> FileState | None:
        data = read_json(self.layout.state_path(self.dataset, file_hash))
        try:
            return FileState.from_dict(data) if isinstance(data, dict) else None
        except (KeyError, ValueError, TypeError):
            return None  # a hand-damaged record means "not processed"

    def put(self, state: FileState) -> None:
        atomic_write_bytes(self.layout.state_path(self.dataset, state.file_hash), state.to_json())

    def put_many(self, states: list[FileState]) -> None:
        """Write many records, each atomically as :meth:`put`, made durable together (one
        ``syncfs`` for the batch: 256 records in ~20 ms here, where per-file fsyncs from eight
        threads and pretty-printed JSON took ~150 ms)."""
        atomic_write_many([(self.layout.state_path(self.dataset, s.file_hash), s.to_json()) for s in states])

    def delete(self, file_hash: str) -> None:
        self.layout.state_path(self.dataset, file_hash).unlink(missing_ok=True)

    def all(self) -> dict[str, FileState]:
        out: dict[str, FileState] = {}
        state_dir = self.layout.state_dir(self.dataset)
        if not state_dir.is_dir():
            return out
        for path in state_dir.glob("*.json"):
            if not _HEX64.fullmatch(path.stem):
                continue
            state = self.get(path.stem)
            if state is not None:
                out[state.file_hash] = state
        return out

    def remove_all(self) -> None:
        """Forget the dataset's state (when the dataset is deleted)."""
        shutil.rmtree(self.layout.dataset_dir(self.dataset), ignore_errors=True)
