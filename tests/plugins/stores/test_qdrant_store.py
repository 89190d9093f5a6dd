"""Qdrant local mode: the store contract, config, point ids, and the folder lock."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from llamafarm_stores.qdrant_store import QdrantConfig, QdrantStore

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.errors import Conflict, PluginError
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.stores import VectorStoreContract, record

METRICS = {"cosine": "Cosine", "l2": "Euclid", "ip": "Dot", "manhattan": "Manhattan"}


class TestQdrantLocal(VectorStoreContract):
    metrics = ("cosine", "l2", "ip", "manhattan")
    reads_vectors = True

    @pytest.fixture
    def dimension(self) -> int:
        return 8

    @pytest.fixture
    def make_store(self):
        def make(path: Path, metric: str | None = None) -> QdrantStore:
            config = QdrantConfig(distance=METRICS[metric or "cosine"], lock_timeout=0)
            return QdrantStore(config, path=path, collection="chunks")

        return make


def test_registered_under_both_names(registry: Registry) -> None:
    assert registry.get(PluginKind.VECTOR_STORE, "QdrantStore").cls is QdrantStore
    assert registry.get(PluginKind.VECTOR_STORE, "qdrant").cls is QdrantStore


@pytest.mark.parametrize(
    "given,expected",
    [
        ("cosine", "Cosine"),
        ("EUCLID", "Euclid"),
        ("l2", "Euclid"),
        ("Dot", "Dot"),
        ("manhattan", "Manhattan"),
    ],
)
def test_distance_names_are_case_insensitive(given: str, expected: str) -> None:
    assert QdrantConfig(distance=given).distance == expected


def test_unknown_distance_is_refused(registry: Registry) -> None:
    with pytest.raises(PluginError, match="distance"):
        registry.validate_config(PluginKind.VECTOR_STORE, "QdrantStore", {"distance": "hamming"})


def test_point_ids_are_uuids_and_chunk_ids_survive(tmp_path: Path) -> None:
    store = QdrantStore(QdrantConfig(), path=tmp_path / "db", collection="chunks")
    try:
        store.add([record(0, 4)])
        [hit] = store.get([record(0, 4).id])
        assert hit.id == record(0, 4).id
        raw = store._open().scroll("chunks", limit=10)[0]
        assert [uuid.UUID(str(p.id)).version for p in raw] == [5]
    finally:
        store.close()


def test_close_releases_the_folder_lock(tmp_path: Path) -> None:
    from qdrant_client import QdrantClient

    store = QdrantStore(QdrantConfig(lock_timeout=0), path=tmp_path / "db", collection="chunks")
    store.add([record(0, 4)])
    with pytest.raises(RuntimeError, match="already accessed"):
        QdrantClient(path=str(tmp_path / "db" / "qdrant"))
    store.close()
    other = QdrantClient(path=str(tmp_path / "db" / "qdrant"))
    try:
        assert other.count("chunks").count == 1
    finally:
        other.close()


def test_busy_folder_is_a_clear_conflict(tmp_path: Path) -> None:
    holder = QdrantStore(QdrantConfig(), path=tmp_path / "db", collection="chunks")
    holder.add([record(0, 4)])
    waiting = QdrantStore(QdrantConfig(lock_timeout=0.3), path=tmp_path / "db", collection="chunks")
    try:
        with pytest.raises(Conflict, match="in use by another Qdrant client"):
            waiting.count()
    finally:
        holder.close()
        waiting.close()
    reopened = QdrantStore(QdrantConfig(), path=tmp_path / "db", collection="chunks")
    try:
        assert reopened.count() == 1
    finally:
        reopened.close()


def test_configured_vector_size_is_enforced(tmp_path: Path) -> None:
    store = QdrantStore(QdrantConfig(vector_size=4), path=tmp_path / "db", collection="chunks")
    try:
        with pytest.raises(Conflict, match="4-dimensional"):
            store.add([record(0, 6)])
        store.add([record(0, 4)])
        assert store.count() == 1
    finally:
        store.close()


def test_changed_distance_on_existing_collection_is_a_conflict(tmp_path: Path) -> None:
    first = QdrantStore(QdrantConfig(distance="Cosine"), path=tmp_path / "db", collection="chunks")
    first.add([record(0, 4)])
    first.close()
    second = QdrantStore(QdrantConfig(distance="Dot"), path=tmp_path / "db", collection="chunks")
    try:
        with pytest.raises(Conflict, match="uses distance Cosine"):
            second.count()
    finally:
        second.close()


def test_reading_a_new_database_creates_nothing(tmp_path: Path) -> None:
    store = QdrantStore(QdrantConfig(), path=tmp_path / "db", collection="main")
    assert store.count() == 0
    assert store.search([1.0, 0.0, 0.0], 3) == []
    assert store.file_counts() == {} and store.get(["x"]) == [] and store.ids_for_file("f") == []
    store.delete(["x"])
    store.close()
    assert not (tmp_path / "db").exists()
