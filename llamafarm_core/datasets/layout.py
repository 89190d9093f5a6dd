"""Where a project's data lives on disk. Every path below is built from validated names only.

``{project}/`` (``$LF_DATA_DIR/projects/{namespace}/{project}/``)::

    llamafarm.yaml                 the config (datasets[].files is not written here: see below)
    members.sqlite                 dataset membership, file hashes in order (llamafarm_core.membership)
    files/{sha256}                 uploaded content, stored once per project (content-addressed)
    files/{sha256}.json            its metadata record (original_filename, size, mime_type, timestamp)
    datasets/{dataset}/state/{sha256}.json   per-file processing state of that dataset
    datasets/{dataset}/.process.lock         held while the dataset is being processed
    stores/{database}/             the vector store's own files (embedded modes)
    stores/{database}/lexical.sqlite          the BM25 index of the same chunks
    stores/{database}/collection.json         embedder model id + dimension of the vectors
    stores/{database}/access.lock             fcntl lock serialising local store access
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llamafarm_core.names import check_file_hash, check_name


@dataclass(frozen=True)
class ProjectLayout:
    """Paths inside one project directory."""

    root: Path

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    def blob_path(self, file_hash: str) -> Path:
        return self.files_dir / check_file_hash(file_hash)

    def record_path(self, file_hash: str) -> Path:
        return self.files_dir / f"{check_file_hash(file_hash)}.json"

    def dataset_dir(self, dataset: str) -> Path:
        return self.root / "datasets" / check_name(dataset, "dataset name")

    def state_dir(self, dataset: str) -> Path:
        return self.dataset_dir(dataset) / "state"

    def state_path(self, dataset: str, file_hash: str) -> Path:
        return self.state_dir(dataset) / f"{check_file_hash(file_hash)}.json"
