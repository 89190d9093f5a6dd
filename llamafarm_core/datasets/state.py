"""Per-dataset, per-file processing state: ``datasets/{d}/state/{sha256}.json``.

The record survives workers and restarts: it is what decides whether a file is ``skipped``
(processed before with the same fingerprint) and which chunk ids belong to it.

*Pending marks* (a group of files about to be written to the database, with every chunk id
each may own) go to one journal per group, ``state/.pending/{id}.json``
(:meth:`StateStore.put_pending`), not to each file's record: :meth:`StateStore.get` and
:meth:`StateStore.all` return, per file, the newer of its record and its latest journal
entry. The record written after the database write is newer, and then the journal goes
(:meth:`StateStore.clear_pending`); after a crash it stays, and its entries name the ids
to clean up, as a per-file pending record did. Why not a record per file: every record
replaced by a rename frees an inode, and ext4 checks each recently freed inode before it
hands out a new one, so a worker that rewrote each file's record twice per run created
files ever more slowly (256 records: 0.06 s at the first job, 0.19 s by the fourth;
docs/performance.md, fifth round).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
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
        """The file's record, or its pending mark when that is newer."""
        record = self._record(file_hash)
        marked = self._pending().get(file_hash)
        return marked if _newer(marked, record) else record

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
            state = self._record(path.stem)
            if state is not None:
                out[state.file_hash] = state
        for file_hash, marked in self._pending().items():
            if _newer(marked, out.get(file_hash)):
                out[file_hash] = marked
        return out

    # -- pending marks: one journal per group (module docstring) --------------------------

    def put_pending(self, states: list[FileState]) -> Path:
        """Mark ``states`` (status pending) in one new journal, durably; returns its path for
        :meth:`clear_pending`."""
        path = self._pending_dir() / f"{uuid.uuid4().hex}.json"
        body = {"states": [s.to_dict() for s in states]}
        atomic_write_bytes(path, json.dumps(body, separators=(",", ":")).encode())
        return path

    def clear_pending(self, journal: Path) -> None:
        """Drop a journal once every file in it has a newer record (or is gone); also any
        journal an interrupted run left whose every entry now has a newer record."""
        journal.unlink(missing_ok=True)
        for other in self._journals():
            if all(_newer(self._record(s.file_hash), s) for s in _read_journal(other)):
                other.unlink(missing_ok=True)

    def _pending_dir(self) -> Path:
        return self.layout.state_dir(self.dataset) / ".pending"

    def _pending(self) -> dict[str, FileState]:
        """The latest journal entry of each file marked pending (usually none: a journal
        lives while its group is written)."""
        out: dict[str, FileState] = {}
        for journal in self._journals():
            for state in _read_journal(journal):
                if _newer(state, out.get(state.file_hash)):
                    out[state.file_hash] = state
        return out

    def _journals(self) -> list[Path]:
        """The journals there are now (not the temp files of one being written)."""
        try:
            entries = list(os.scandir(self._pending_dir()))
        except FileNotFoundError:
            return []
        return [Path(e.path) for e in entries if e.name.endswith(".json") and not e.name.startswith(".")]

    def _record(self, file_hash: str) -> FileState | None:
        data = read_json(self.layout.state_path(self.dataset, file_hash))
        try:
            return FileState.from_dict(data) if isinstance(data, dict) else None
        except (KeyError, ValueError, TypeError):
            return None  # a hand-damaged record means "not processed"

    def remove_all(self) -> None:
        """Forget the dataset's state (when the dataset is deleted)."""
        shutil.rmtree(self.layout.dataset_dir(self.dataset), ignore_errors=True)


def _newer(candidate: FileState | None, current: FileState | None) -> bool:
    """True when ``candidate`` is newer than ``current`` (or ``current`` is None)."""
    return candidate is not None and (current is None or candidate.updated_at > current.updated_at)


# Parsed journals by path, kept while the file is unchanged: a run reads every file's state
# (1,400 gets for Cranfield), and a journal of another run may exist meanwhile.
_parsed_journals: dict[str, tuple[tuple[int, int], list[FileState]]] = {}
_parsed_journals_lock = threading.Lock()


def _read_journal(path: Path) -> list[FileState]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return []
    key = (stat.st_mtime_ns, stat.st_size)
    with _parsed_journals_lock:
        cached = _parsed_journals.get(str(path))
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        data = read_json(path)
    except ValueError:  # damaged by hand: not a journal
        data = None
    states: list[FileState] = []
    for item in data.get("states", []) if isinstance(data, dict) else []:
        with contextlib.suppress(KeyError, ValueError, TypeError, AttributeError):
            states.append(FileState.from_dict(item))
    with _parsed_journals_lock:
        if len(_parsed_journals) > 256:  # journals come and go: keep the cache small
            _parsed_journals.clear()
        _parsed_journals[str(path)] = (key, states)
    return states
