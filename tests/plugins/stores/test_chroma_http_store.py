"""Chroma over HTTP against a real ``chroma run`` server: the store contract and errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from llamafarm_stores.chroma_store import ChromaConfig, ChromaStore

from llamafarm_core.errors import ComponentUnavailable
from llamafarm_core.testing.stores import VectorStoreContract, record
from tests.servers import ChildServer, free_port


class TestChromaHttp(VectorStoreContract):
    metrics = ("cosine", "l2", "ip")
    reads_vectors = True

    @pytest.fixture
    def dimension(self) -> int:
        return 8

    @pytest.fixture
    def make_store(self, chroma_server: ChildServer):
        def make(path: Path, metric: str | None = None) -> ChromaStore:
            # One collection per database path: tests don't see each other on the shared server.
            name = "t" + hashlib.sha1(str(path).encode()).hexdigest()[:16]
            config = ChromaConfig(
                host="127.0.0.1",
                port=chroma_server.port,
                collection_name=name,
                distance_function=metric or "cosine",
            )
            return ChromaStore(config, path=path, collection="unused")

        return make


def test_server_mode_is_not_local_and_writes_nothing_locally(
    chroma_server: ChildServer, tmp_path: Path
) -> None:
    store = ChromaStore(
        ChromaConfig(host="127.0.0.1", port=chroma_server.port), path=tmp_path / "db", collection="remote_db"
    )
    try:
        store.add([record(0, 4)])
        assert not store.is_local
        assert store.size_bytes() == 0
        assert store.count() == 1
    finally:
        store.close()
    assert not (tmp_path / "db").exists()


def test_absent_server_is_component_unavailable(tmp_path: Path) -> None:
    port = free_port()
    store = ChromaStore(ChromaConfig(host="127.0.0.1", port=port), path=tmp_path / "db", collection="main")
    with pytest.raises(
        ComponentUnavailable, match=f"cannot reach the Chroma server at http://127.0.0.1:{port}"
    ):
        store.count()
    store.close()
