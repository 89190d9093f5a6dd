"""Embedded stores kept open for reads: reused while nothing is written, reopened after a
write by this process or another one (the generation token), so searches never serve stale
vectors (an open Chroma client does not see another process's new vectors by itself)."""

from __future__ import annotations

import subprocess
import sys

from llamafarm_core.databases import open_database
from llamafarm_core.databases.handle import GENERATION_FILE, read_generation
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings
from llamafarm_core.vectors import ChunkRecord, chunk_id
from tests.core.test_databases import project, records  # noqa: F401 (fixture)

WRITER = """
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
recs = [ChunkRecord(chunk_id(h, 0), "from the child", [0.0, 0.0, 1.0], {"file_hash": h})]
with handle.writing() as store:
    store.add(recs)
"""


def _child_writes(settings: Settings, file_hash: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", WRITER, str(settings.data_dir), file_hash],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]


def test_reads_reuse_the_open_store_until_another_process_writes(
    settings: Settings,
    registry: Registry,
    project: Project,  # noqa: F811
) -> None:
    handle = open_database(registry, project, "main_db")
    with handle.writing() as store:
        store.add(records("a" * 64, 2))
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
    with handle.writing() as writer:
        assert writer is not store  # writes use their own client, closed (flushed) after
        writer.add([ChunkRecord(chunk_id("d" * 64, 0), "new", [0.0, 1.0, 0.0], {"file_hash": "d" * 64})])
    with handle.reading() as reader:
        assert [h.id for h in reader.search([0.0, 1.0, 0.0], 1)] == [chunk_id("d" * 64, 0)]
    removed = handle.delete_files(["d" * 64])
    assert removed == {"d" * 64: 1}
    with handle.reading() as reader:
        assert reader.search([0.0, 1.0, 0.0], 1) == []
