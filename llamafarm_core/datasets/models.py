"""Typed results of dataset operations. :class:`FileDetail` and :class:`FileRemoval` are also
the HTTP response models (one model per concept): their fields, in order, are the wire format."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from llamafarm_core.config.models import Dataset
from llamafarm_core.datasets.blobs import FileRecord


class FileDetail(BaseModel):
    """One member file of a dataset: its stored record and its processing state there."""

    model_config = ConfigDict(frozen=True)

    hash: str
    original_filename: str | None
    size: int
    timestamp: float | None
    mime_type: str | None
    processed: bool
    status: str = Field(description="pending, processed or failed")
    chunks: int
    stored: bool = Field(description="False when the file's content is missing from storage")
    reason: str | None = None


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


class FileRemoval(BaseModel):
    """A file taken out of a dataset (``DELETE …/data/{file_hash}``)."""

    model_config = ConfigDict(frozen=True)

    file_hash: str
    dataset: str
    removed_chunks: int
    removed_from_disk: bool
    kept_for: list[str] = Field(
        default_factory=list,
        description="Datasets on the same database that still hold the file (chunks kept)",
    )


@dataclass(frozen=True)
class DatasetDeletion:
    dataset: Dataset
    removed_chunks: int
    removed_files: list[str]
