"""Removing a file removes it from vector AND lexical results, for every strategy."""

from __future__ import annotations

from llamafarm_core.datasets import DatasetStore
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectStore
from llamafarm_core.retrieval import RetrievalRequest, inventory, service
from llamafarm_core.settings import Settings
from tests.core.retrieval.corpus import DOCS, MAIN, build

STRATEGIES = ["semantic", "keywords", "hybrid_search", "universal", "energy_only", "boosted"]


def test_removed_file_never_comes_back(settings: Settings, registry: Registry) -> None:
    docs = {name: DOCS[name] for name in ("solar.md", "wind.md", "zq7-manual.md")}
    c = build(settings, registry, name="removal", docs=docs, databases=(MAIN,))

    def found(strategy: str, query: str) -> set[str]:
        result = service.query(
            settings, registry, c.reload(), RetrievalRequest(query, top_k=5), MAIN, strategy
        )
        return {h.metadata["filename"] for h in result.hits}

    assert all("solar.md" in found(s, "solar panels sunlight electricity") for s in STRATEGIES)
    handle_docs = inventory.documents(settings, registry, c.project, MAIN)
    assert {d.filename: (d.chunk_count, d.lexical_chunk_count) for d in handle_docs} == {
        "solar.md": (1, 1),
        "wind.md": (1, 1),
        "zq7-manual.md": (1, 1),
    }

    datasets = DatasetStore(settings, ProjectStore(settings, registry), registry)
    removal = datasets.remove_file(c.project.ref, f"docs_{MAIN}", c.hashes["solar.md"], remove_from_disk=True)
    assert removal.removed_chunks == 1

    for strategy in STRATEGIES:
        assert "solar.md" not in found(strategy, "solar panels sunlight electricity"), strategy
        assert "solar.md" not in found(strategy, "photovoltaic silicon cells rooftops efficiency"), strategy
    assert found("keywords", "photovoltaic silicon") == set()  # its words are gone from the index
    assert [d.filename for d in inventory.documents(settings, registry, c.reload(), MAIN)] == [
        "wind.md",
        "zq7-manual.md",
    ]
    health = inventory.health(settings, registry, c.project, MAIN)
    assert health.databases[0].chunk_count == health.databases[0].lexical_chunk_count == 2
