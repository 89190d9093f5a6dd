"""Datasets: stored files (content-addressed), dataset membership and per-file state.

See :mod:`llamafarm_core.datasets.layout` for the files on disk and
:mod:`llamafarm_core.datasets.store` for the sharing rules.
"""

from llamafarm_core.datasets.blobs import BlobStore, FileRecord, UploadWriter
from llamafarm_core.datasets.filenames import clean_filename, guess_mime_type
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.datasets.models import (
    DatasetDeletion,
    DatasetView,
    FileDetail,
    FileRemoval,
    StoredUpload,
    StrategyNames,
    UploadResult,
)
from llamafarm_core.datasets.state import FileState, ProcessingStatus, StateStore
from llamafarm_core.datasets.store import DatasetStore, find_dataset

__all__ = [
    "BlobStore",
    "DatasetDeletion",
    "DatasetStore",
    "DatasetView",
    "FileDetail",
    "FileRecord",
    "FileRemoval",
    "FileState",
    "ProcessingStatus",
    "ProjectLayout",
    "StateStore",
    "StoredUpload",
    "StrategyNames",
    "UploadResult",
    "UploadWriter",
    "clean_filename",
    "find_dataset",
    "guess_mime_type",
]
