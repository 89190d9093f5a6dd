"""Content-addressed storage: streamed, hashed, size-limited, nothing partial left behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from llamafarm_core.datasets.blobs import BlobStore
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.errors import BadRequest, PayloadTooLarge


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(ProjectLayout(tmp_path / "proj"))


def _upload(blobs: BlobStore, data: bytes, name: str = "a.txt", limit: int = 1 << 20):  # type: ignore[no-untyped-def]
    with blobs.writer(limit) as writer:
        for i in range(0, len(data), 7):
            writer.write(data[i : i + 7])
        return blobs.commit(writer, name, "text/plain")


def test_commit_stores_by_sha256_with_record(blobs: BlobStore) -> None:
    data = b"hello world\n" * 10
    record, created = _upload(blobs, data)
    digest = hashlib.sha256(data).hexdigest()
    assert created and record.hash == digest
    assert blobs.layout.blob_path(digest).read_bytes() == data
    stored = blobs.record(digest)
    assert stored is not None
    assert (stored.original_filename, stored.size, stored.mime_type) == ("a.txt", len(data), "text/plain")
    assert stored.timestamp > 0
    assert list((blobs.tmp_dir).iterdir()) == []


def test_same_content_is_stored_once(blobs: BlobStore) -> None:
    first, created1 = _upload(blobs, b"same", "first.txt")
    second, created2 = _upload(blobs, b"same", "second.txt")
    assert created1 and not created2
    assert second == first  # the first name stays
    assert sorted(p.name for p in blobs.layout.files_dir.iterdir() if p.is_file()) == [
        first.hash,
        f"{first.hash}.json",
    ]
    assert list(blobs.tmp_dir.iterdir()) == []


def test_over_the_limit_leaves_nothing(blobs: BlobStore) -> None:
    with pytest.raises(PayloadTooLarge, match="upload limit"):
        _upload(blobs, b"x" * 100, limit=50)
    assert list(blobs.tmp_dir.iterdir()) == []
    assert [p for p in blobs.layout.files_dir.iterdir() if p.is_file()] == []


def test_abandoned_writer_is_removed(blobs: BlobStore) -> None:
    with blobs.writer(100) as writer:
        writer.write(b"partial")
        path = writer.path
        assert path.exists()
    assert not path.exists()


def test_missing_record_is_synthesised_and_remove(blobs: BlobStore) -> None:
    record, _ = _upload(blobs, b"data")
    blobs.layout.record_path(record.hash).unlink()
    again = blobs.record(record.hash)
    assert again is not None and again.size == 4 and again.original_filename == record.hash
    assert blobs.remove(record.hash) is True
    assert blobs.record(record.hash) is None and blobs.source(record.hash) is None
    assert blobs.remove(record.hash) is False


def test_hash_is_validated_before_touching_a_path(blobs: BlobStore) -> None:
    with pytest.raises(BadRequest):
        blobs.record("../../etc/passwd")
    with pytest.raises(BadRequest):
        blobs.layout.blob_path("A" * 64)
