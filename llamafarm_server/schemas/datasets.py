"""Request and response models of the Datasets API (shapes of the reference page)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from llamafarm_core.datasets.models import FileDetail
from llamafarm_core.ingest.results import FileResult


class DatasetDetails(BaseModel):
    total_files: int
    total_size_bytes: int
    file_details: list[FileDetail]


class DatasetBody(BaseModel):
    name: str
    database: str | None
    data_processing_strategy: str | None
    files: list[str]
    description: str | None = None
    details: DatasetDetails | None = None


class DatasetList(BaseModel):
    total: int
    datasets: list[DatasetBody]


class DatasetResponse(BaseModel):
    dataset: DatasetBody


class DatasetDeleted(DatasetResponse):
    removed_chunks: int = Field(description="Chunks removed from the dataset's database")
    removed_files: list[str] = Field(description="Stored files deleted (no other dataset used them)")


class StrategiesResponse(BaseModel):
    data_processing_strategies: list[str]
    databases: list[str]


class CreateDataset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Dataset name, ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    data_processing_strategy: str | None = Field(
        None, description="A rag.data_processing_strategies[] name; optional when there is one"
    )
    database: str | None = Field(None, description="A rag.databases[] name; default: rag.default_database")
    description: str | None = None


class ListQuery(BaseModel):
    include_extra_details: bool = Field(True, description="Include per-file details")


class UploadResponse(BaseModel):
    filename: str
    hash: str
    processed: bool
    skipped: bool = Field(description="True when the same content was already in the dataset")
    size: int
    mime_type: str


class BulkFileResult(BaseModel):
    filename: str | None
    hash: str | None = None
    status: str = Field(description="uploaded, skipped or failed")
    processed: bool = False
    skipped: bool = False
    size: int | None = None
    reason: str | None = None


class BulkUploadResponse(BaseModel):
    total: int
    uploaded: int
    skipped: int
    failed: int
    files: list[BulkFileResult]


class ProcessQuery(BaseModel):
    async_processing: bool = Field(False, description="Queue the work and answer with a task id")


class ProcessResponse(BaseModel):
    message: str
    processed_files: int
    skipped_files: int
    failed_files: int
    strategy: str
    database: str
    details: list[FileResult]
    task_id: str | None = None


class RemoveFileQuery(BaseModel):
    remove_from_disk: bool = Field(False, description="Also delete the stored file if no dataset uses it")


class UploadForm(BaseModel):
    """``multipart/form-data`` of ``POST …/data`` (read by the handler; documents the body)."""

    file: bytes = Field(description="The file; its part's filename is kept as the original name.")


class BulkUploadForm(BaseModel):
    """``multipart/form-data`` of ``POST …/data/bulk``."""

    files: list[bytes] = Field(description="The files: the field repeated, one part per file.")
