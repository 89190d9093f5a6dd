"""The database access layer: handles, locks across threads and processes, the model record,
deletion from store and lexical index together, cached embedders, remote stores kept open."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from llamafarm_core.databases import EmbedderMismatch, open_database
from llamafarm_core.errors import BadRequest
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.settings import Settings
from llamafarm_core.vectors import ChunkRecord, chunk_id
from tests.servers import ChildServer, chroma_server, llama_cpp_embedding_server  # noqa: F401

REF = ProjectRef("ns", "dbs")
MINILM = {
    "name": "minilm",
    "type": "SentenceTransformerEmbedder",
    "config": {"model_name": "all-MiniLM-L6-v2"},
}


def config(databases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": "v1",
        "name": REF.name,
        "namespace": REF.namespace,
        "runtime": {"models": [{"name": "m", "provider": "openai", "model": "x"}]},
        "rag": {"databases": databases},
    }


def chroma_db(name: str = "main_db", **cfg: Any) -> dict[str, Any]:
    return {"name": name, "type": "ChromaStore", "config": cfg, "embedding_strategies": [MINILM]}


@pytest.fixture
def project(settings: Settings, registry: Registry) -> Project:
    store = ProjectStore(settings, registry)
    store.create(REF, "server")
    return store.update(REF, config([chroma_db(), chroma_db("second_db")]))


def records(file_hash: str, n: int, dim: int = 3) -> list[ChunkRecord]:
    return [
        ChunkRecord(
            chunk_id(file_hash, i),
            f"chunk {i} of {file_hash[:4]}",
            [1.0 + i] + [0.5] * (dim - 1),
            {"file_hash": file_hash, "chunk_index": i},
        )
        for i in range(n)
    ]


def test_unknown_database_and_project_without_rag(
    settings: Settings, registry: Registry, project: Project
) -> None:
    with pytest.raises(BadRequest, match="known databases: main_db, second_db"):
        open_database(registry, project, "nope")
    assert open_database(registry, project, None).name == "main_db"
    plain = ProjectStore(settings, registry).create(ProjectRef("ns", "plain"), "server")
    with pytest.raises(BadRequest, match="no 'rag' section"):
        open_database(registry, plain, None)


def test_writes_go_to_store_and_lexical_and_delete_files_removes_both(
    settings: Settings, registry: Registry, project: Project
) -> None:
    handle = open_database(registry, project, "main_db")
    a, b = "a" * 64, "b" * 64
    with handle.writing() as store:
        store.add(records(a, 3) + records(b, 2))
        handle.lexical.add(records(a, 3) + records(b, 2))
    info = handle.info()
    assert (info.chunk_count, info.document_count, info.lexical_count) == (5, 2, 5)
    assert info.size_bytes > 0 and info.embedder == "SentenceTransformerEmbedder"
    assert handle.delete_files([a]) == {a: 3}
    with handle.reading() as store:
        assert store.file_counts() == {b: 2}
    assert handle.lexical.count() == 2 and handle.lexical.file_counts() == {b: 2}
    # The other database of the project is a separate store.
    assert open_database(registry, project, "second_db").info().chunk_count == 0


CHILD = """
import sys
from pathlib import Path
from llamafarm_core.databases import open_database
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings
from llamafarm_core.vectors import ChunkRecord, chunk_id

settings = Settings(data_dir=Path(sys.argv[1]))
registry = build_registry(get_plugin_manager())
project = ProjectStore(settings, registry).get(ProjectRef("ns", "dbs"))
handle = open_database(registry, project, "main_db")
h = sys.argv[2]
recs = [ChunkRecord(chunk_id(h, i), f"child {i}", [0.1, 0.2, 0.3 + i], {"file_hash": h}) for i in range(4)]
with handle.writing() as store:
    store.add(recs)
    handle.lexical.add(recs)
with handle.reading() as store:
    print(store.count())
"""


def test_another_process_sees_and_is_seen(settings: Settings, registry: Registry, project: Project) -> None:
    """Embedded clients must not serve stale state: each block opens and closes the store."""
    handle = open_database(registry, project, "main_db")
    with handle.writing() as store:
        store.add(records("a" * 64, 2))
    with handle.reading() as store:
        assert store.count() == 2
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(settings.data_dir), "c" * 64],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "6"  # the child saw our 2 chunks
    with handle.reading() as store:
        assert store.count() == 6  # and we see its 4
        assert store.ids_for_file("c" * 64) == [chunk_id("c" * 64, i) for i in range(4)]
    assert handle.lexical.count() == 4


def test_writer_excludes_readers(settings: Settings, registry: Registry, project: Project) -> None:
    handle = open_database(registry, project, "main_db")
    inside, release = threading.Event(), threading.Event()
    events: list[str] = []

    def writer() -> None:
        with handle.writing() as store:
            inside.set()
            release.wait(10)
            store.add(records("a" * 64, 1))
            events.append("written")

    def reader() -> None:
        with handle.reading() as store:
            events.append(f"read {store.count()}")

    w = threading.Thread(target=writer)
    w.start()
    assert inside.wait(30)
    r = threading.Thread(target=reader)
    r.start()
    time.sleep(0.5)
    assert events == []  # the reader waits for the writer
    release.set()
    w.join(30)
    r.join(30)
    assert events == ["written", "read 1"]


def test_model_record_first_write_then_checked(
    settings: Settings, registry: Registry, project: Project
) -> None:
    handle = open_database(registry, project, "main_db")
    model_id = handle.embedder().model_id
    with handle.writing() as store:
        record = handle.ensure_model(store, 3)
        store.add(records("a" * 64, 1))
    assert (record.model_id, record.dimension) == (model_id, 3)
    assert json.loads((handle.path / "collection.json").read_text())["dimension"] == 3
    with (
        handle.writing() as store,
        pytest.raises(EmbedderMismatch, match="dimension 3 .* gives 384.*reindex"),
    ):
        handle.ensure_model(store, 384)
    with pytest.raises(EmbedderMismatch, match="reindex"):
        handle.embed_query("a query")  # the real model gives 384 dimensions, the store holds 3
    handle.delete_files(["a" * 64])  # empty again: any model may start afresh
    assert handle.model() is None
    with handle.writing() as store:
        assert handle.ensure_model(store, 384).dimension == 384
    assert len(handle.embed_query("a query")) == 384


def test_embedders_are_built_once_per_process(
    settings: Settings, registry: Registry, project: Project
) -> None:
    first = open_database(registry, project, "main_db").embedder()
    second = open_database(registry, project, "second_db").embedder()
    assert first is second


@pytest.mark.slow
def test_a_real_second_model_is_refused(
    settings: Settings,
    registry: Registry,
    project: Project,
    llama_cpp_embedding_server: ChildServer,  # noqa: F811
) -> None:
    handle = open_database(registry, project, "main_db")
    vector = handle.embed_query("gliders")
    with handle.writing() as store:
        handle.ensure_model(store, len(vector))
        store.add([ChunkRecord(chunk_id("a" * 64, 0), "gliders", vector, {"file_hash": "a" * 64})])
    gemma = {
        "name": "gemma",
        "type": "UniversalEmbedder",
        "config": {"model": "gemma3-270m", "base_url": llama_cpp_embedding_server.url + "/v1"},
    }
    db = {**chroma_db(), "embedding_strategies": [gemma]}
    changed = ProjectStore(settings, registry).update(REF, config([db]))
    with pytest.raises(EmbedderMismatch, match="all-MiniLM-L6-v2.*reindex"):
        open_database(registry, changed, "main_db").embed_query("gliders")


def test_remote_store_stays_open(
    settings: Settings,
    registry: Registry,
    chroma_server: ChildServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    host, port = "127.0.0.1", chroma_server.port
    store = ProjectStore(settings, registry)
    store.create(REF, "server")
    project = store.update(
        REF, config([chroma_db(host=host, port=port, collection_name=f"lf_{tmp_path.name}"[-60:])])
    )
    handle = open_database(registry, project, "main_db")
    with handle.writing() as s1:
        s1.add(records("a" * 64, 2))
        assert not s1.is_local
    with handle.reading() as s2:
        assert s2 is s1 and s2.count() == 2
    assert not (handle.path / "chroma").exists()  # nothing embedded was created


def test_model_record_is_read_once_per_version_of_its_file(
    settings: Settings, registry: Registry, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from llamafarm_core.databases import handle as handle_module
    from llamafarm_core.databases.model_record import write_model_record

    reads: list[Path] = []
    real_read = handle_module.read_model_record
    monkeypatch.setattr(handle_module, "read_model_record", lambda p: reads.append(p) or real_read(p))
    handle = open_database(registry, project, "main_db")
    path = handle.path / "collection.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    long_ago = time.time() - 60

    def write(model_id: str) -> None:  # as a writer does: an atomic replace; mtime set back
        write_model_record(path, model_id, 3, "SentenceTransformerEmbedder")
        os.utime(path, (long_ago, long_ago))

    write("model-a")
    assert [handle.model().model_id for _ in range(3)] == ["model-a"] * 3  # type: ignore[union-attr]
    assert len(reads) == 1  # the file is stat'ed, not read again
    write("model-b")  # same mtime and size: a new inode tells
    assert handle.model().model_id == "model-b"  # type: ignore[union-attr]
    path.unlink()
    assert handle.model() is None
    write_model_record(path, "model-c", 3, "SentenceTransformerEmbedder")  # just written: racy
    assert [handle.model().model_id for _ in range(2)] == ["model-c"] * 2  # type: ignore[union-attr]
    assert len(reads) == 4  # read each time while it is too young for its stat to be trusted
