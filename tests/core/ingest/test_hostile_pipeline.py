"""A processing run over hostile files and a good one: the run finishes, each hostile file is
processed (its parser is linear now) or fails alone with its reason, the good one is
searchable. A parser stuck in C is killed by the per-file budget (issue 10)."""

from __future__ import annotations

import dataclasses

import pytest

from llamafarm_core.datasets import DatasetStore
from llamafarm_core.ingest.isolation import shutdown
from llamafarm_core.ingest.results import FileStatus
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectStore
from llamafarm_core.settings import Settings
from tests.core.ingest.hostile_plugins import registry_with
from tests.core.ingest.pipeline_samples import good_files
from tests.core.ingest.test_pipeline import ALL_PARSERS, Env, by_name, make_config
from tests.hostile_samples import alias_bomb, cubic_heading, trailing_spaces, unclosed_tags, zip_bomb

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def env(settings: Settings, registry: Registry) -> Env:
    settings = dataclasses.replace(settings, file_seconds=5, file_memory_mib=1024)
    registry = registry_with(registry)
    projects = ProjectStore(settings, registry)
    e = Env(settings, registry, projects, DatasetStore(settings, projects, registry))
    stuck = {"type": "stuck", "file_include_patterns": ["*.stuck"]}
    e.configure(make_config(parsers=[*ALL_PARSERS, stuck]))
    yield e
    shutdown()


def test_hostile_files_fail_alone_and_the_good_one_is_processed(env: Env) -> None:
    files = {
        "heading.md": cubic_heading().encode(),
        "spaces.txt": trailing_spaces().encode(),
        "tags.html": unclosed_tags().encode(),
        "aliases.md": alias_bomb().encode(),
        "bomb.docx": zip_bomb(),
        "evil.stuck": b"anything",
        "chess.txt": good_files()["chess.txt"],
    }
    for name, data in files.items():
        env.upload(name, data)
    results = by_name(env.process())
    statuses = {name: r.status for name, r in results.items()}
    assert statuses == {
        "heading.md": FileStatus.PROCESSED,
        "spaces.txt": FileStatus.PROCESSED,
        "tags.html": FileStatus.PROCESSED,
        "aliases.md": FileStatus.PROCESSED,
        "bomb.docx": FileStatus.FAILED,
        "evil.stuck": FileStatus.FAILED,
        "chess.txt": FileStatus.PROCESSED,
    }, [(r.filename, r.reason) for r in results.values()]
    assert "zip bomb" in (results["bomb.docx"].reason or "")
    assert "took longer than 5 s" in (results["evil.stuck"].reason or "")
    assert any("YAML aliases" in w for w in results["aliases.md"].warnings)
    handle = env.handle()
    vector = handle.embed_query("The chess grandmaster sacrificed her queen")
    with handle.reading() as store:
        assert store.search(vector, top_k=1)[0].metadata["filename"] == "chess.txt"
