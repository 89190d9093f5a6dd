"""Embedded stores kept open: reused by reads and writes while no other process has written,
reopened after another process's write (the generation token), so searches never serve
stale vectors (an open Chroma client does not see another process's new vectors by itself)
and a write never goes through a client that missed one."""

from __future__ import annotations

import inspect
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from llamafarm_core.components.store import VectorStore
from llamafarm_core.databases import DatabaseHandle, open_database
from llamafarm_core.databases.handle import GENERATION_FILE, read_generation
from llamafarm_core.open_stores import open_stores
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectStore
from llamafarm_core.settings import Settings
from llamafarm_core.vectors import ChunkRecord, chunk_id
from tests.core.test_databases import REF, chroma_db, config, project, records  # noqa: F401 (fixture)

# A child process's main_db handle (argv[1]: the data dir); the scripts below go on from it.
CHILD_HANDLE = """
import sys
from pathlib import Path
from llamafarm_core.databases import open_database
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings
from llamafarm_core.vectors import ChunkRecord, chunk_id

settings = Settings(data_dir=Path(sys.argv[1]))
registry = build_registry(get_plugin_manager())
handle = open_database(registry, ProjectStore(settings, registry).get(ProjectRef("ns", "dbs")), "main_db")
"""

WRITER = (
    CHILD_HANDLE
    + """
h = sys.argv[2]
recs = [ChunkRecord(chunk_id(h, 0), "from the child", [0.0, 0.0, 1.0], {"file_hash": h})]
with handle.writing() as store:
    store.add(recs)
    print(store.count())
"""
)


def _child_writes(settings: Settings, file_hash: str) -> int:
    """Another process writes one chunk of ``file_hash``; returns the count it saw after."""
    out = subprocess.run(
        [sys.executable, "-c", WRITER, str(settings.data_dir), file_hash],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return int(out.stdout.split()[-1])


def _written(
    registry: Registry, owner: Project, file_hash: str, n: int
) -> tuple[DatabaseHandle, VectorStore]:
    """main_db's handle after writing ``n`` chunks of ``file_hash``, and the store written through."""
    handle = open_database(registry, owner, "main_db")
    with handle.writing() as store:
        store.add(records(file_hash, n))
    return handle, store


def test_reads_reuse_the_open_store_until_another_process_writes(
    settings: Settings,
    registry: Registry,
    project: Project,  # noqa: F811
) -> None:
    handle, _ = _written(registry, project, "a" * 64, 2)
    token = read_generation(handle.path)
    assert token and (handle.path / GENERATION_FILE).is_file()
    with handle.reading() as first:
        assert [h.id for h in first.search([0.0, 0.0, 1.0], 5)] == [chunk_id("a" * 64, i) for i in (0, 1)]
    again = open_database(registry, project, "main_db")  # a new request's handle
    with again.reading() as second:
        assert second is first  # nothing written: no reopen

    _child_writes(settings, "c" * 64)
    assert read_generation(handle.path) != token
    with again.reading() as third:
        assert third is not first
        hits = third.search([0.0, 0.0, 1.0], 1)
    assert [h.id for h in hits] == [chunk_id("c" * 64, 0)]  # the child's vector, by search
    assert hits[0].text == "from the child"


def test_a_write_in_this_process_is_seen_by_the_next_read(
    settings: Settings,
    registry: Registry,
    project: Project,  # noqa: F811
) -> None:
    handle = open_database(registry, project, "main_db")
    with handle.reading() as store:
        assert store.count() == 0
    token = read_generation(handle.path)
    with handle.writing() as writer:
        assert writer is store  # nobody wrote since it was opened: the write goes through it
        writer.add([ChunkRecord(chunk_id("d" * 64, 0), "new", [0.0, 1.0, 0.0], {"file_hash": "d" * 64})])
    assert read_generation(handle.path) != token  # other processes' stores reopen
    with handle.reading() as reader:
        assert reader is store  # its view holds its own write: no reopen here
        assert [h.id for h in reader.search([0.0, 1.0, 0.0], 1)] == [chunk_id("d" * 64, 0)]
    removed = handle.delete_files(["d" * 64])
    assert removed == {"d" * 64: 1}
    with handle.reading() as reader:
        assert reader.search([0.0, 1.0, 0.0], 1) == []


def test_a_kept_writer_is_seen_by_other_processes_and_reopens_after_theirs(
    settings: Settings,
    registry: Registry,
    project: Project,  # noqa: F811
) -> None:
    handle, first = _written(registry, project, "a" * 64, 2)
    with handle.writing() as second:
        assert second is first  # job after job through one client (no log replay per job)
        second.add(records("b" * 64, 1))
    # Nothing was closed or flushed here, yet another process sees both writes...
    assert _child_writes(settings, "c" * 64) == 4
    # ... and our next write does not go through the client that missed the child's.
    with handle.writing() as third:
        assert third is not first
        assert third.count() == 4
        third.add(records("e" * 64, 1))
    with handle.reading() as reader:
        assert reader is third
        assert reader.count() == 5
        assert [h.id for h in reader.search([0.0, 0.0, 1.0], 1)] == [chunk_id("c" * 64, 0)]


def test_a_failed_write_drops_the_kept_store(
    settings: Settings,
    registry: Registry,
    project: Project,  # noqa: F811
) -> None:
    handle, store = _written(registry, project, "a" * 64, 1)
    token = read_generation(handle.path)
    try:
        with handle.writing() as failing:
            assert failing is store
            failing.add(records("b" * 64, 1))
            raise RuntimeError("the disk filled up half-way")
    except RuntimeError:
        pass
    assert read_generation(handle.path) != token  # readers elsewhere reopen
    with handle.reading() as reader:
        assert reader is not store  # what the failed write's client holds is not trusted
        assert reader.count() == 2  # Chroma's log had committed the chunk before the error


def test_only_the_most_recently_used_stores_stay_open_and_none_closes_in_use(
    settings: Settings,
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stores = open_stores()
    stores.close_all()
    monkeypatch.setattr(stores, "limit", 3)
    names = [f"db_{i}" for i in range(6)]
    projects = ProjectStore(settings, registry)
    projects.create(REF, "server")
    many = projects.update(REF, config([chroma_db(n) for n in names]))
    handles = [open_database(registry, many, n) for n in names]
    for i, handle in enumerate(handles):
        with handle.writing() as store:
            store.add(records(f"{i:x}" * 64, 1))
    with handles[0].reading() as held:  # in use while five other stores are opened
        for handle in handles[1:]:
            with handle.reading() as store:
                assert store.count() == 1
        kept = {Path(k).name for k in stores.items}
        assert kept == {"db_0", "db_4", "db_5"}  # the one in use and the two most recent
        assert held.count() == 1  # still open and usable
    with handles[0].reading() as again:
        assert again is held
    with handles[1].reading() as reopened:  # closed as least recently used: opened anew
        assert reopened.count() == 1
    assert len(stores.items) == 3


ALTERNATING_WRITER = (
    CHILD_HANDLE
    + """
for block in range(int(sys.argv[3])):
    h = f"{sys.argv[2]}{block:02d}".ljust(64, "0")
    with handle.writing() as store:  # kept open while the other writer leaves it alone
        store.add([ChunkRecord(chunk_id(h, i), h, _vector(h, i), {"file_hash": h}) for i in range(int(sys.argv[4]))])
        store.delete([chunk_id(h, 0)])
"""
)


def _vector(file_hash: str, i: int) -> list[float]:
    """A vector of its own for each chunk, the same in every process."""
    seed = zlib.crc32(f"{file_hash}/{i}".encode())
    return [((seed >> shift) & 0xFF) / 255.0 - 0.5 for shift in range(0, 24, 3)]


def test_two_processes_writing_in_turns_keep_every_write(
    settings: Settings,
    registry: Registry,
    project: Project,  # noqa: F811
) -> None:
    """Enough writes to make Chroma save its index files: a writer that kept its client past
    the other's write (no token check) loses vectors from the index here (tried)."""
    source = "import zlib\n" + inspect.getsource(_vector) + ALTERNATING_WRITER
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", source, str(settings.data_dir), tag, "12", "100"], stderr=subprocess.PIPE
        )
        for tag in ("aa", "bb")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err.decode()[-3000:]
    handle = open_database(registry, project, "main_db")
    with handle.reading() as store:
        assert store.count() == 2 * 12 * 99  # each block: 100 written, its first deleted
        for tag in ("aa", "bb"):
            for block in range(12):
                h = f"{tag}{block:02d}".ljust(64, "0")
                assert [hit.id for hit in store.search(_vector(h, 1), 1)] == [chunk_id(h, 1)]
                assert store.get([chunk_id(h, 0)]) == []


def test_closing_a_deleted_projects_stores_waits_for_the_block_using_one(
    settings: Settings,
    registry: Registry,
    project: Project,  # noqa: F811
) -> None:
    handle, _ = _written(registry, project, "a" * 64, 2)
    with handle.reading() as held:
        open_stores().close_under(project.path)  # what deleting the project does
        assert str(handle.path) not in open_stores().items  # no longer handed out...
        assert held.count() == 2  # ... but still open for the block that has it
    # Closed once that block is done (closed under it, Chroma's client would have reopened
    # on its next call and stayed open, unowned, with the deleted project's cached system).
    assert held._client is None  # type: ignore[attr-defined]
    with handle.reading() as fresh:
        assert fresh is not held
        assert fresh.count() == 2
