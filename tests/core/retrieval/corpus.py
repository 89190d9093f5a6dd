"""A small generated corpus, processed through the real pipeline (Markdown parser with front
matter, bundled MiniLM, embedded Chroma and local Qdrant, the lexical index).

Each document is on a distinct topic; its front matter becomes chunk metadata (category,
year, priority where given, verified, timestamp), so filters and rerank factors have
something real to work on. ``zq7-manual.md`` holds a made-up part number that only the
lexical index can match exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from llamafarm_core.datasets import DatasetStore
from llamafarm_core.ingest.pipeline import process_files
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.settings import Settings

NOW = dt.datetime.now(dt.UTC)


def _md(front: dict[str, Any], body: str) -> bytes:
    lines = [f"{k}: {v}" for k, v in front.items()]
    return ("---\n" + "\n".join(lines) + "\n---\n\n" + body.strip() + "\n").encode()


DOCS: dict[str, bytes] = {
    "solar.md": _md(
        {
            "category": "energy",
            "year": 2023,
            "priority": "high",
            "verified": "true",
            "timestamp": NOW.isoformat(),
        },
        "# Solar power\n\nPhotovoltaic solar panels convert sunlight directly into electricity. Modern "
        "silicon cells reach an efficiency above twenty percent on rooftops.",
    ),
    "wind.md": _md(
        {"category": "energy", "year": 2019, "priority": "low", "timestamp": "2019-03-01T00:00:00+00:00"},
        "# Wind turbines\n\nWind turbines turn the kinetic energy of moving air into electricity with "
        "long rotor blades mounted on tall towers.",
    ),
    "bees.md": _md(
        {"category": "biology", "year": 2021, "priority": "medium"},
        "# Honeybees\n\nHoneybees tell their sisters where the flowers are through a waggle dance, "
        "and they pollinate most fruit crops.",
    ),
    "penguins.md": _md(
        {"category": "biology", "year": 2015},
        "# Penguins\n\nEmperor penguins huddle together to survive the long dark polar winter of Antarctica.",
    ),
    "volcano.md": _md(
        {"category": "geology", "year": 2022, "priority": "critical"},
        "# Volcanoes\n\nVolcanic eruptions inject sulfur dioxide high into the stratosphere, which can "
        "cool the climate for a year or two.",
    ),
    "chess.md": _md(
        {"category": "games", "year": 2010},
        "# Chess\n\nThe chess grandmaster sacrificed her queen to force checkmate in three moves.",
    ),
    "bread.md": _md(
        {"category": "cooking", "year": 2020},
        "# Sourdough\n\nOur bakery bakes sourdough bread with a wild yeast starter that is forty years old. "
        "The dough ferments slowly overnight before it is shaped by hand, scored with a blade and baked "
        "in a very hot stone oven, which gives the loaf its thick crackling crust and open crumb.",
    ),
    "zq7-manual.md": _md(
        {"category": "manuals", "year": 2024},
        "# Maintenance\n\nReplace the gasket of pump model ZQ7 every six months and log the service.",
    ),
}

NS = "rt"
MAIN, QDRANT, EMPTY = "main_db", "qdrant_db", "empty_db"
MINILM = {
    "name": "minilm",
    "type": "SentenceTransformerEmbedder",
    "config": {"model_name": "all-MiniLM-L6-v2"},
}
STRATEGIES = [
    {"name": "semantic", "type": "BasicSimilarityStrategy", "config": {"top_k": 4}, "default": True},
    {
        "name": "energy_only",
        "type": "MetadataFilteredStrategy",
        "config": {"filters": {"category": "energy"}, "top_k": 5},
    },
    {"name": "keywords", "type": "BM25Strategy", "config": {}},
    {"name": "hybrid_search", "type": "HybridStrategy", "config": {"alpha": 0.5}},
    {
        "name": "universal",
        "type": "HybridUniversalStrategy",
        "config": {
            "strategies": [
                {"type": "BasicSimilarityStrategy", "weight": 0.5},
                {"type": "BM25Strategy", "weight": 0.5},
            ],
            "combination_method": "rank_fusion",
        },
    },
    {"name": "expanded", "type": "MultiQueryStrategy", "config": {"num_queries": 2}},
    {"name": "boosted", "type": "RerankedStrategy", "config": {"initial_k": 8}},
]


def database(name: str, store: str, strategies: bool = True) -> dict[str, Any]:
    db: dict[str, Any] = {"name": name, "type": store, "config": {}, "embedding_strategies": [MINILM]}
    if store == "ChromaStore":
        db["config"] = {"distance_function": "cosine"}
    if strategies:
        db["retrieval_strategies"] = STRATEGIES
        db["default_retrieval_strategy"] = "semantic"
    return db


def config(runtime_model: dict[str, Any] | None = None) -> dict[str, Any]:
    model = runtime_model or {
        "name": "local",
        "provider": "llamacpp",
        "model": "gemma3-270m",
        "default": True,
        "model_api_parameters": {"temperature": 0.0},
    }
    return {
        "version": "v1",
        "runtime": {"models": [model]},
        "rag": {
            "default_database": MAIN,
            "databases": [
                database(MAIN, "ChromaStore"),
                database(QDRANT, "QdrantStore"),
                database(EMPTY, "ChromaStore", strategies=False),
            ],
            "data_processing_strategies": [
                {
                    "name": "markdown",
                    "parsers": [{"type": "MarkdownParser_Python", "config": {"chunk_size": 600}}],
                }
            ],
        },
    }


@dataclass
class Corpus:
    settings: Settings
    registry: Registry
    project: Project
    hashes: dict[str, str]  # filename -> file hash

    def reload(self) -> Project:
        self.project = ProjectStore(self.settings, self.registry).get(self.project.ref)
        return self.project


def build(
    settings: Settings,
    registry: Registry,
    name: str = "corpus",
    docs: dict[str, bytes] | None = None,
    databases: tuple[str, ...] = (MAIN, QDRANT),
    runtime_model: dict[str, Any] | None = None,
) -> Corpus:
    """Create project ``rt/{name}``, upload ``docs`` into one dataset per database, process."""
    ref = ProjectRef(NS, name)
    projects = ProjectStore(settings, registry)
    projects.create(ref, "server")
    projects.update(ref, config(runtime_model))
    datasets = DatasetStore(settings, projects, registry)
    hashes: dict[str, str] = {}
    for db in databases:
        datasets.create(ref, f"docs_{db}", "markdown", db)
        for filename, content in (docs or DOCS).items():
            writer = datasets.open_upload(ref, f"docs_{db}")
            writer.write(content)
            hashes[filename] = datasets.commit_upload(
                ref, f"docs_{db}", writer, filename, "text/markdown"
            ).hash
        report = process_files(settings, NS, name, f"docs_{db}", registry=registry)
        failed = [d for d in report.to_dict()["details"] if d["status"] != "processed"]
        assert not failed, failed
    return Corpus(settings, registry, projects.get(ref), hashes)


_SHARED: dict[str, Corpus] = {}


def shared_corpus(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Corpus:
    """The corpus, built once per test session (read-only: tests must not change it)."""
    if "corpus" not in _SHARED:
        settings = Settings(data_dir=tmp_path_factory.mktemp("rag-corpus"))
        _SHARED["corpus"] = build(settings, registry)
    return _SHARED["corpus"]
