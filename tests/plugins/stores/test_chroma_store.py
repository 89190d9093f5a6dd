"""Chroma embedded: the store contract, config compatibility, and cross-process freshness."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from llamafarm_stores.chroma_store import ChromaConfig, ChromaStore

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.errors import Conflict, PluginError
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.stores import VectorStoreContract, record, unit
from llamafarm_core.vectors import ChunkRecord, FilterCondition, FilterOp

METRICS = {"cosine": "cosine", "l2": "l2", "ip": "ip"}


class TestChromaEmbedded(VectorStoreContract):
    metrics = ("cosine", "l2", "ip")
    reads_vectors = True

    @pytest.fixture
    def dimension(self) -> int:
        return 8

    @pytest.fixture
    def make_store(self):
        def make(path: Path, metric: str | None = None) -> ChromaStore:
            config = ChromaConfig(distance_function=METRICS[metric or "cosine"])
            return ChromaStore(config, path=path, collection="chunks")

        return make


def test_registered_under_both_names(registry: Registry) -> None:
    assert registry.get(PluginKind.VECTOR_STORE, "ChromaStore").cls is ChromaStore
    assert registry.get(PluginKind.VECTOR_STORE, "chroma").cls is ChromaStore


def test_compat_config_keeps_data_inside_the_database_dir(registry: Registry, tmp_path: Path) -> None:
    raw = {
        "collection_name": "fda_letters",
        "distance_function": "cosine",
        "persist_directory": "./data/fda_letters_db",
        "port": 8000,
    }
    built = registry.validate_config(
        PluginKind.VECTOR_STORE, "ChromaStore", raw, where="rag.databases[0].config"
    )
    assert built.warnings == [
        "rag.databases[0].config.persist_directory: accepted for compatibility, ignored by chroma"
    ]
    store = registry.build(
        PluginKind.VECTOR_STORE, "ChromaStore", raw, path=tmp_path / "db", collection="main_db"
    )
    try:
        assert store.is_local  # port without host: still embedded
        store.add([record(0, 4)])
        assert store.count() == 1
    finally:
        store.close()
    assert (tmp_path / "db" / "chroma" / "chroma.sqlite3").is_file()
    assert not (tmp_path / "data").exists() and not Path("data/fda_letters_db").exists()


@pytest.mark.parametrize(
    "raw,message",
    [
        ({"collection_name": "x"}, "collection_name"),
        ({"distance_function": "dot"}, "distance_function"),
        ({"persist_dir": "./x"}, "persist_dir"),
    ],
)
def test_bad_config_names_the_key(registry: Registry, raw: dict, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        registry.validate_config(PluginKind.VECTOR_STORE, "ChromaStore", raw, where="rag.databases[0].config")


def test_unknown_store_type_lists_what_exists(registry: Registry) -> None:
    with pytest.raises(PluginError) as err:
        registry.get(PluginKind.VECTOR_STORE, "FAISSStore")
    assert "ChromaStore" in err.value.message and "QdrantStore" in err.value.message


def test_short_database_name_gets_a_valid_collection(tmp_path: Path) -> None:
    store = ChromaStore(ChromaConfig(), path=tmp_path / "db", collection="db")
    try:
        store.add([record(0, 4)])
        assert store.collection_name == "db_lf"
        assert store.count() == 1
    finally:
        store.close()


def test_changed_distance_on_existing_collection_is_a_conflict(tmp_path: Path) -> None:
    first = ChromaStore(ChromaConfig(distance_function="cosine"), path=tmp_path / "db", collection="main")
    first.add([record(0, 4)])
    first.close()
    second = ChromaStore(ChromaConfig(distance_function="l2"), path=tmp_path / "db", collection="main")
    with pytest.raises(Conflict, match="created with distance 'cosine'"):
        second.count()
    second.close()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from llamafarm_core.testing.stores import record
    from llamafarm_stores.chroma_store import ChromaConfig, ChromaStore

    store = ChromaStore(ChromaConfig(), path=Path(sys.argv[1]), collection="shared")
    store.add([record(int(i), 8) for i in sys.argv[2:]])
    store.close()
    """
)


def _write_in_subprocess(path: Path, *indexes: int) -> None:
    subprocess.run([sys.executable, "-c", WRITER, str(path), *map(str, indexes)], check=True, timeout=120)


def test_reader_sees_what_another_process_wrote_after_close(tmp_path: Path) -> None:
    path = tmp_path / "db"
    query = record(0, 8).embedding

    def search_once() -> list[str]:
        store = ChromaStore(ChromaConfig(), path=path, collection="shared")
        try:
            return [h.id for h in store.search(query, 10)]
        finally:
            store.close()

    _write_in_subprocess(path, 0, 1)
    assert search_once() == [record(0, 8).id, record(1, 8).id]
    _write_in_subprocess(path, 2, 3)
    assert search_once() == [record(i, 8).id for i in range(4)]


def test_two_stores_on_one_path_in_one_process(tmp_path: Path) -> None:
    a = ChromaStore(ChromaConfig(), path=tmp_path / "db", collection="shared")
    b = ChromaStore(ChromaConfig(), path=tmp_path / "db", collection="shared")
    try:
        a.add([record(0, 8)])
        assert b.count() == 1
        a.close()
        b.add([record(1, 8)])
        assert [h.id for h in b.search(record(0, 8).embedding, 5)] == [record(0, 8).id, record(1, 8).id]
    finally:
        a.close()
        b.close()


def test_reading_a_new_database_creates_nothing(tmp_path: Path) -> None:
    store = ChromaStore(ChromaConfig(), path=tmp_path / "db", collection="main")
    assert store.count() == 0
    assert store.search([1.0, 0.0, 0.0], 3) == []
    assert store.file_counts() == {} and store.get(["x"]) == [] and store.ids_for_file("f") == []
    store.delete(["x"])
    store.close()
    assert not (tmp_path / "db").exists()


def test_large_writes_are_split_under_chromas_batch_limit(tmp_path: Path) -> None:
    store = ChromaStore(ChromaConfig(), path=tmp_path / "db", collection="main")
    try:
        records = [record(i % 6, 4) for i in range(6)]
        many = []
        for i in range(6000):
            r = records[i % 6]
            many.append(
                type(r)(id=f"big:{i:06d}", text=r.text, embedding=r.embedding, metadata={"file_hash": "big"})
            )
        store.add(many)
        assert store.count() == 6000
        assert store.delete_file("big") == 6000
        assert store.count() == 0
    finally:
        store.close()


def _tagged(i: int, tag: str | None) -> ChunkRecord:
    """Record ``i`` of 8 dimensions at ``i`` degrees from the query, tagged or not."""
    metadata: dict[str, Any] = {"file_hash": "f", "n": i} | ({"tag": tag} if tag else {})
    return ChunkRecord(
        id=f"r{i:03d}", text=f"chunk {i}", embedding=unit(8, math.radians(i)), metadata=metadata
    )


@pytest.mark.parametrize(
    "condition", [FilterCondition("tag", FilterOp.NE, "x"), FilterCondition("tag", FilterOp.NIN, ["x"])]
)
def test_ne_finds_keyed_records_behind_many_nearer_ones_without_the_key(
    tmp_path: Path, condition: FilterCondition
) -> None:
    # Chroma's $ne also matches records without the key: the 40 nearest have none, so the
    # store must keep asking for more until it has top_k records that do.
    store = ChromaStore(ChromaConfig(), path=tmp_path / "db", collection="main")
    try:
        store.add([_tagged(i, None) for i in range(40)] + [_tagged(i, "y") for i in range(40, 43)])
        store.add([_tagged(43, "x")])
        query = unit(8, 0.0)
        assert [h.id for h in store.search(query, 2, [condition])] == ["r040", "r041"]
        assert [s.id for s in store.search_ids(query, 5, [condition])] == ["r040", "r041", "r042"]
    finally:
        store.close()


def test_records_carry_only_their_own_metadata_and_older_key_lists_are_hidden(tmp_path: Path) -> None:
    store = ChromaStore(ChromaConfig(), path=tmp_path / "db", collection="main")
    try:
        store.add([_tagged(0, "y")])
        collection = store._get_collection(create=False)
        assert collection is not None
        assert collection.get(ids=["r000"])["metadatas"] == [{"file_hash": "f", "n": 0, "tag": "y"}]
        # what writes before 2026-12 added: a list of the record's keys, never shown
        old = _tagged(1, "y")
        collection.upsert(
            ids=[old.id],
            embeddings=[list(old.embedding)],
            documents=[old.text],
            metadatas=[{**old.metadata, "_lf_keys": sorted(old.metadata)}],
        )
        query = unit(8, 0.0)
        hits = store.search(query, 5, [FilterCondition("tag", FilterOp.NE, "x")])
        assert [(h.id, h.metadata) for h in hits] == [
            ("r000", {"file_hash": "f", "n": 0, "tag": "y"}),
            ("r001", {"file_hash": "f", "n": 1, "tag": "y"}),
        ]
        assert store.get(["r001"])[0].metadata == {"file_hash": "f", "n": 1, "tag": "y"}
    finally:
        store.close()
