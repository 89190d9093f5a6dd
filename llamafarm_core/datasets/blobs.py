"""Content-addressed file storage: ``files/{sha256}`` plus a metadata record each.

Uploads stream into ``files/.tmp/`` while being hashed and measured, and are renamed into
place only once complete and within the size limit; a rejected or interrupted upload leaves
nothing behind (a crash leaves at most a temp file, swept on the next upload).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.documents import SourceFile
from llamafarm_core.errors import PayloadTooLarge
from llamafarm_core.fsutil import atomic_write_json, read_json

TEMP_MAX_AGE_SECONDS = 3600
# Commits of the same content (one bulk request commits several files at once) take the same
# lock: the second finds the first's blob and record complete. Striped: bounded memory.
_COMMIT_LOCKS = [threading.Lock() for _ in range(64)]


@dataclass(frozen=True)
class FileRecord:
    """The metadata record of a stored file (``files/{sha256}.json``)."""

    hash: str
    original_filename: str
    size: int
    mime_type: str
    timestamp: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileRecord:
        return cls(
            hash=str(data["hash"]),
            original_filename=str(data.get("original_filename") or data["hash"]),
            size=int(data.get("size", 0)),
            mime_type=str(data.get("mime_type") or "application/octet-stream"),
            timestamp=float(data.get("timestamp", 0.0)),
        )


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


class UploadWriter:
    """Receives one upload's bytes. Use as a context manager: anything not committed by
    :meth:`BlobStore.commit` is deleted on exit."""

    def __init__(self, tmp_dir: Path, limit: int) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
        self.path = Path(name)
        self.limit = limit
        self.size = 0
        self._fh = os.fdopen(fd, "wb")
        self._sha = hashlib.sha256()
        self.done = False

    def write(self, data: bytes) -> None:
        """Append bytes; over the limit, the temp file is removed and PayloadTooLarge raised."""
        self.size += len(data)
        if self.size > self.limit:
            self.abort()
            raise PayloadTooLarge(
                f"file is larger than the upload limit of {human_bytes(self.limit)} "
                f"({self.limit} bytes; set LF_MAX_UPLOAD_BYTES to change it)"
            )
        self._sha.update(data)
        self._fh.write(data)

    def finish(self) -> str:
        """Flush to disk and return the sha256 hex digest."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return self._sha.hexdigest()

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self.path.unlink(missing_ok=True)
        self.done = True

    def __enter__(self) -> UploadWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.abort()


class BlobStore:
    """The project's stored files."""

    def __init__(self, layout: ProjectLayout) -> None:
        self.layout = layout

    @property
    def tmp_dir(self) -> Path:
        return self.layout.files_dir / ".tmp"

    def writer(self, limit: int) -> UploadWriter:
        self._sweep_temp()
        return UploadWriter(self.tmp_dir, limit)

    def commit(self, writer: UploadWriter, filename: str, mime_type: str) -> tuple[FileRecord, bool]:
        """Move a finished upload into place. Returns its record and whether it is new
        (False: the same content was stored already, and nothing was written)."""
        digest = writer.finish()
        blob = self.layout.blob_path(digest)
        with _COMMIT_LOCKS[int(digest[:4], 16) % len(_COMMIT_LOCKS)]:
            existing = self.record(digest) if blob.is_file() else None
            if existing is not None:
                writer.abort()
                return existing, False
            os.replace(writer.path, blob)
            writer.done = True
            record = FileRecord(digest, filename, writer.size, mime_type, time.time())
            atomic_write_json(self.layout.record_path(digest), record.to_dict())
        return record, True

    def exists(self, file_hash: str) -> bool:
        return self.layout.blob_path(file_hash).is_file()

    def record(self, file_hash: str) -> FileRecord | None:
        """The metadata record; synthesised from the blob when the record is missing."""
        data = read_json(self.layout.record_path(file_hash))
        if isinstance(data, dict) and "hash" in data:
            return FileRecord.from_dict(data)
        blob = self.layout.blob_path(file_hash)
        if not blob.is_file():
            return None
        stat = blob.stat()
        return FileRecord(file_hash, file_hash, stat.st_size, "application/octet-stream", stat.st_mtime)

    def source(self, file_hash: str) -> SourceFile | None:
        """The stored file as the parsers see it; None when its content is missing."""
        record = self.record(file_hash)
        if record is None or not self.exists(file_hash):
            return None
        return SourceFile(
            file_hash=file_hash,
            filename=record.original_filename,
            path=self.layout.blob_path(file_hash),
            size=record.size,
            mime_type=record.mime_type,
        )

    def remove(self, file_hash: str) -> bool:
        """Delete the content and its record; True when there was something to delete."""
        blob = self.layout.blob_path(file_hash)
        existed = blob.is_file()
        blob.unlink(missing_ok=True)
        self.layout.record_path(file_hash).unlink(missing_ok=True)
        return existed

    def _sweep_temp(self) -> None:
        """Remove temp files left by a crashed upload (older than an hour)."""
        if not self.tmp_dir.is_dir():
            return
        cutoff = time.time() - TEMP_MAX_AGE_SECONDS
        for path in self.tmp_dir.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                continue
