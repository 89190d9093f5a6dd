"""Typed results of dataset operations (the server turns them into its response models)."""

from __future__ import annotations

from dataclasses import dataclass, field

from llamafarm_core.config.models import Dataset
from llamafarm_core.datasets.blobs import FileRecord


@dataclass(frozen=True)
class FileDetail:
    """One member file of a dataset: its stored record and its processing state there."""

    hash: str
    original_filename: str | None
    size: int
    timestamp: float | None
    mime_type: str | None
    stored: bool
    status: str
    chunks: int
    reason: str | None = None

    @property
    def processed(self) -> bool:
        return self.status == "processed"


@dataclass(frozen=True)
class DatasetView:
    dataset: Dataset
    files: list[FileDetail] | None = None

    @property
    def total_size_bytes(self) -> int:
        return sum(f.size for f in self.files or [])


@dataclass(frozen=True)
class StrategyNames:
    data_processing_strategies: list[str]
    databases: list[str]


@dataclass(frozen=True)
class StoredUpload:
    """An upload moved into storage, not yet added to a dataset."""

    record: FileRecord
    created: bool
    filename: str


@dataclass(frozen=True)
class UploadResult:
    filename: str
    hash: str
    size: int
    mime_type: str
    skipped: bool
    processed: bool
    stored_new: bool


@dataclass(frozen=True)
class FileRemoval:
    file_hash: str
    dataset: str
    removed_chunks: int
    removed_from_disk: bool
    kept_for: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DatasetDeletion:
    dataset: Dataset
    removed_chunks: int
    removed_files: list[str]
