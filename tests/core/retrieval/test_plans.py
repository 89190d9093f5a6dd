"""Query plans (database, strategy, handle) are built once per version of the project's
config, and a changed config is what the next query uses."""

from __future__ import annotations

from typing import Any

import pytest

from llamafarm_core.errors import BadRequest
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.retrieval import RetrievalRequest, service
from llamafarm_core.retrieval.plans import Plans, plans
from llamafarm_core.settings import Settings

REF = ProjectRef("ns", "plans")


def config(default_strategy: str, top_k: int) -> dict[str, Any]:
    return {
        "version": "v1",
        "name": REF.name,
        "namespace": REF.namespace,
        "runtime": {"models": [{"name": "m", "provider": "openai", "model": "x"}]},
        "rag": {
            "databases": [
                {
                    "name": "main_db",
                    "type": "ChromaStore",
                    "embedding_strategies": [
                        {"name": "minilm", "type": "SentenceTransformerEmbedder", "config": {}}
                    ],
                    "retrieval_strategies": [
                        {"name": "near", "type": "BasicSimilarityStrategy", "config": {"top_k": top_k}},
                        {"name": "words", "type": "BM25Strategy", "config": {}},
                    ],
                    "default_retrieval_strategy": default_strategy,
                }
            ]
        },
    }


def test_one_plan_per_config_version_and_the_new_config_wins(settings: Settings, registry: Registry) -> None:
    store = ProjectStore(settings, registry)
    store.create(REF, "server")
    store.update(REF, config("near", 3))
    project = store.get_bare(REF)
    first = plans().get(registry, project, None, None)
    assert (first.label, first.strategy.config.top_k) == ("near", 3)
    assert plans().get(registry, store.get_bare(REF), None, None) is first  # same file: same plan
    assert plans().get(registry, project, None, "words") is not first  # per strategy

    store.update(REF, config("words", 7))  # a new version of the file: a new plan
    result = service.query(settings, registry, store.get_bare(REF), RetrievalRequest("anything"))
    assert result.strategy == "words"
    assert plans().get(registry, store.get_bare(REF), None, "near").strategy.config.top_k == 7


def test_unknown_names_raise_every_time_and_are_not_kept(settings: Settings, registry: Registry) -> None:
    store = ProjectStore(settings, registry)
    store.create(REF, "server")
    project = store.update(REF, config("near", 3))
    fresh = Plans()
    for _ in range(2):
        with pytest.raises(BadRequest, match="unknown retrieval_strategy 'nope'.*near, words"):
            fresh.get(registry, project, None, "nope")
    assert fresh._items == {}


def test_the_least_recently_used_plans_are_dropped(settings: Settings, registry: Registry) -> None:
    store = ProjectStore(settings, registry)
    store.create(REF, "server")
    project = store.update(REF, config("near", 3))
    few = Plans(max_plans=2)
    near = few.get(registry, project, None, "near")
    few.get(registry, project, None, "words")
    assert few.get(registry, project, None, "near") is near  # used again: now the most recent
    few.get(registry, project, None, None)  # a third: "words" goes
    assert few.get(registry, project, None, "near") is near
    assert len(few._items) == 2
