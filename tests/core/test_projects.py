"""Projects on disk: create from templates, update atomically, delete for real."""

from __future__ import annotations

import threading

import pytest
import yaml

from llamafarm_core.config.models import Dataset
from llamafarm_core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings


@pytest.fixture
def store(settings: Settings, registry: Registry) -> ProjectStore:
    return ProjectStore(settings, registry)


@pytest.mark.parametrize(
    "bad", ["..", "a/b", "%2e%2e", "with space", "naïve", "", "x" * 65, "tab\there", "-lead", "nul\x00"]
)
def test_bad_names_are_rejected_before_touching_a_path(bad: str) -> None:
    with pytest.raises(BadRequest, match="must match"):
        ProjectRef("ns", bad)
    with pytest.raises(BadRequest):
        ProjectRef(bad, "p")


def test_create_get_update_delete(store: ProjectStore, settings: Settings) -> None:
    ref = ProjectRef("acme", "bot")
    created = store.create(ref, "server")
    assert created.config.name == "bot" and created.config.namespace == "acme"
    assert store.get(ref).config.runtime.default().provider == "llamacpp"
    with pytest.raises(Conflict):
        store.create(ref, "server")

    raw = yaml.safe_load((store.project_dir(ref) / "llamafarm.yaml").read_text())
    raw["prompts"] = [{"name": "x", "messages": [{"role": "system", "content": "Be terse."}]}]
    raw["name"] = "ignored-name"
    updated = store.update(ref, raw)
    assert updated.config.name == "bot"
    assert store.get(ref).config.prompt_messages()[0].content == "Be terse."

    deleted = store.delete(ref)
    assert deleted.config.prompts[0].name == "x"
    assert not store.project_dir(ref).exists()
    with pytest.raises(NotFound):
        store.get(ref)
    assert [p.name for p in store.in_namespace("acme")] == []


def test_invalid_update_leaves_the_file_untouched(store: ProjectStore) -> None:
    ref = ProjectRef("acme", "bot")
    store.create(ref, "server")
    before = (store.project_dir(ref) / "llamafarm.yaml").read_bytes()
    with pytest.raises(ValidationFailed, match="runtime"):
        store.update(ref, {"version": "v1", "runtime": {"models": []}})
    with pytest.raises(ValidationFailed, match="unknown model_provider type 'nope'"):
        store.update(ref, {"runtime": {"provider": "nope", "model": "x"}})
    assert (store.project_dir(ref) / "llamafarm.yaml").read_bytes() == before


def test_unknown_template_names_the_known_ones(store: ProjectStore, settings: Settings) -> None:
    settings.templates_dir.mkdir(parents=True)
    (settings.templates_dir / "mine.yaml").write_text(
        "version: v1\nname: x\nnamespace: y\nruntime: {provider: llamacpp, model: gemma3-270m}\n"
    )
    with pytest.raises(BadRequest, match="known templates: server, rag, mine"):
        store.create(ProjectRef("acme", "p"), "nope")
    assert store.create(ProjectRef("acme", "p"), "mine").config.runtime.model == "gemma3-270m"


def test_concurrent_updates_leave_one_complete_valid_file(store: ProjectStore) -> None:
    ref = ProjectRef("acme", "bot")
    store.create(ref, "server")
    base = yaml.safe_load((store.project_dir(ref) / "llamafarm.yaml").read_text())

    def put(i: int) -> None:
        store.update(
            ref,
            {**base, "prompts": [{"name": f"p{i}", "messages": [{"role": "system", "content": "x" * 5000}]}]},
        )

    threads = [threading.Thread(target=put, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = store.get(ref).config
    assert final.prompts[0].name in {f"p{i}" for i in range(20)}
    leftovers = [p.name for p in store.project_dir(ref).iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []


def test_edit_is_a_locked_read_modify_write(store: ProjectStore) -> None:
    ref = ProjectRef("acme", "bot")
    store.create(ref, "rag")

    def add(i: int) -> None:
        with store.edit(ref) as project:
            project.config.datasets.append(
                Dataset(name=f"d{i}", database="main_db", data_processing_strategy="universal_processor")
            )

    threads = [threading.Thread(target=add, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(d.name for d in store.get(ref).config.datasets) == sorted(f"d{i}" for i in range(10))
