"""Datasets in llamafarm.yaml: create, upload, remove, delete (no processing here)."""

from __future__ import annotations

import pytest

from llamafarm_core.datasets import DatasetStore
from llamafarm_core.errors import BadRequest, Conflict, NotFound, PayloadTooLarge
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings

REF = ProjectRef("ns", "proj")


@pytest.fixture
def store(settings: Settings, registry: Registry) -> DatasetStore:
    projects = ProjectStore(settings)  # no component validation: these tests don't process
    projects.create(REF, "rag")
    return DatasetStore(settings, projects, registry)


def _upload(store: DatasetStore, dataset: str, data: bytes, name: str):  # type: ignore[no-untyped-def]
    with store.open_upload(REF, dataset) as writer:
        writer.write(data)
        return store.commit_upload(REF, dataset, writer, name, "text/plain")


def test_create_checks_names_strategy_database(store: DatasetStore) -> None:
    ds = store.create(REF, "docs", "universal_processor", "main_db")
    assert (ds.name, ds.data_processing_strategy, ds.database, ds.files) == (
        "docs",
        "universal_processor",
        "main_db",
        [],
    )
    # One strategy configured and a default database: both may be left out.
    other = store.create(REF, "more", None, None)
    assert (other.data_processing_strategy, other.database) == ("universal_processor", "main_db")
    with pytest.raises(Conflict, match="already exists"):
        store.create(REF, "docs", "universal_processor", "main_db")
    with pytest.raises(BadRequest, match="known: universal_processor"):
        store.create(REF, "x", "nope", "main_db")
    with pytest.raises(BadRequest, match="known: main_db"):
        store.create(REF, "x", "universal_processor", "nope")
    with pytest.raises(BadRequest, match="invalid dataset name"):
        store.create(REF, "../evil", "universal_processor", "main_db")
    config = store.projects.get(REF).config
    assert [d.name for d in config.datasets] == ["docs", "more"]


def test_upload_membership_and_duplicates(store: DatasetStore) -> None:
    store.create(REF, "a", None, None)
    store.create(REF, "b", None, None)
    first = _upload(store, "a", b"content one", "one.txt")
    assert not first.skipped and first.stored_new and not first.processed
    again = _upload(store, "a", b"content one", "renamed.txt")
    assert again.skipped and not again.stored_new and again.hash == first.hash
    into_b = _upload(store, "b", b"content one", "one.txt")
    assert not into_b.skipped and not into_b.stored_new
    config = store.projects.get(REF).config
    assert config.dataset("a").files == [first.hash]  # type: ignore[union-attr]
    assert config.dataset("b").files == [first.hash]  # type: ignore[union-attr]
    views = {v.dataset.name: v for v in store.list_datasets(REF)}
    detail = views["a"].files[0]  # type: ignore[index]
    assert (detail.original_filename, detail.size, detail.status, detail.stored) == (
        "one.txt",
        11,
        "pending",
        True,
    )
    assert store.list_datasets(REF, details=False)[0].files is None


def test_upload_to_unknown_dataset_and_over_limit(store: DatasetStore, settings: Settings) -> None:
    with pytest.raises(NotFound, match="dataset 'ghost' not found"):
        store.open_upload(REF, "ghost")
    store.create(REF, "a", None, None)
    small = DatasetStore(
        Settings(data_dir=settings.data_dir, max_upload_bytes=10), store.projects, store.registry
    )
    with pytest.raises(PayloadTooLarge):
        _upload(small, "a", b"x" * 11, "big.txt")
    files_dir = store.projects.project_dir(REF) / "files"
    assert [p for p in files_dir.rglob("*") if p.is_file()] == []
    assert store.projects.get(REF).config.dataset("a").files == []  # type: ignore[union-attr]


def test_remove_file_and_remove_from_disk(store: DatasetStore) -> None:
    store.create(REF, "a", None, None)
    store.create(REF, "b", None, None)
    shared = _upload(store, "a", b"shared", "s.txt")
    _upload(store, "b", b"shared", "s.txt")
    own = _upload(store, "a", b"own", "o.txt")
    with pytest.raises(BadRequest, match="invalid file hash"):
        store.remove_file(REF, "a", "../x", remove_from_disk=False)
    with pytest.raises(NotFound, match="not in dataset"):
        store.remove_file(REF, "a", "0" * 64, remove_from_disk=False)
    # Still used by dataset b: the blob stays even with remove_from_disk.
    gone = store.remove_file(REF, "a", shared.hash, remove_from_disk=True)
    assert not gone.removed_from_disk and gone.kept_for == ["b"]
    assert store._blobs(store.projects.get(REF)).exists(shared.hash)
    gone = store.remove_file(REF, "a", own.hash, remove_from_disk=True)
    assert gone.removed_from_disk and gone.removed_chunks == 0
    assert not store._blobs(store.projects.get(REF)).exists(own.hash)
    assert store.projects.get(REF).config.dataset("a").files == []  # type: ignore[union-attr]


def test_delete_dataset_removes_unshared_blobs(store: DatasetStore) -> None:
    store.create(REF, "a", None, None)
    store.create(REF, "b", None, None)
    shared = _upload(store, "a", b"shared", "s.txt")
    _upload(store, "b", b"shared", "s.txt")
    own = _upload(store, "a", b"own", "o.txt")
    gone = store.delete(REF, "a")
    assert gone.dataset.name == "a" and gone.removed_files == [own.hash]
    blobs = store._blobs(store.projects.get(REF))
    assert blobs.exists(shared.hash) and not blobs.exists(own.hash)
    assert [d.name for d in store.projects.get(REF).config.datasets] == ["b"]
    with pytest.raises(NotFound):
        store.delete(REF, "a")
