"""The retrieval-strategy contract: subclass :class:`RetrieverContract` in a test module.

Provide the fixtures:

- ``strategy_type``: the strategy's ``type`` name (or alias) as registered;
- ``strategy_config``: its ``config`` for these tests (``{}`` when the defaults do);
- ``registry``: a :class:`~llamafarm_core.plugins.registry.Registry` that includes it (the
  project's ``tests/conftest.py`` has one).

The contract builds a small project once per test session (five Markdown documents through
the real pipeline: bundled MiniLM, embedded Chroma, the lexical index) and queries it through
:func:`llamafarm_core.retrieval.service.query`, the path the API and chat use. It checks
what every strategy must do: hits ranked best first with scores in [0, 1], ``top_k`` and
``score_threshold`` and metadata filters honoured (a filter on a missing key matches
nothing), an empty database answers with nothing, the same query gives the same answer,
and a document is found by its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import RetrievalStrategyRef
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.retrieval import RetrievalRequest, RetrievalResult
from llamafarm_core.retrieval.filters import matches, parse_filters
from llamafarm_core.settings import Settings

DOCS = {
    "tides.md": ("ocean", 1, "The moon's gravity raises the ocean tides twice a day along the coast."),
    "glaciers.md": ("ice", 2, "Glaciers grind slowly down mountain valleys and carve deep fjords."),
    "reefs.md": ("ocean", 3, "Coral reefs shelter a quarter of all marine fish species."),
    "deserts.md": ("land", 4, "Desert dunes migrate as the wind pushes sand over their crests."),
    "volcano.md": ("land", 5, "Lava from the volcano cooled into black basalt columns."),
}
DB, EMPTY = "contract_db", "contract_empty"


@dataclass
class ContractCorpus:
    settings: Settings
    project: Project


def _config() -> dict[str, Any]:
    embedder = {
        "name": "minilm",
        "type": "SentenceTransformerEmbedder",
        "config": {"model_name": "all-MiniLM-L6-v2"},
    }
    db = {
        "type": "ChromaStore",
        "config": {"distance_function": "cosine"},
        "embedding_strategies": [embedder],
    }
    return {
        "version": "v1",
        # No reachable language model: query expansion falls back to rule-based variants.
        "runtime": {
            "models": [
                {"name": "none", "provider": "openai", "model": "none", "base_url": "http://127.0.0.1:9/v1"}
            ]
        },
        "rag": {
            "default_database": DB,
            "databases": [{"name": DB, **db}, {"name": EMPTY, **db}],
            "data_processing_strategies": [{"name": "md", "parsers": [{"type": "MarkdownParser_Python"}]}],
        },
    }


def build_contract_corpus(settings: Settings, registry: Registry) -> ContractCorpus:
    """The contract's project ``contract/corpus`` in ``settings.data_dir``, processed."""
    from llamafarm_core.datasets import DatasetStore
    from llamafarm_core.ingest.pipeline import process_files

    ref = ProjectRef("contract", "corpus")
    projects = ProjectStore(settings, registry)
    projects.create(ref, "server")
    projects.update(ref, _config())
    datasets = DatasetStore(settings, projects, registry)
    datasets.create(ref, "docs", "md", DB)
    for name, (topic, rank, text) in DOCS.items():
        writer = datasets.open_upload(ref, "docs")
        writer.write(f"---\ntopic: {topic}\nrank: {rank}\n---\n\n{text}\n".encode())
        datasets.commit_upload(ref, "docs", writer, name, "text/markdown")
    report = process_files(settings, ref.namespace, ref.name, "docs", registry=registry)
    assert report.to_dict()["processed_files"] == len(DOCS), report.to_dict()
    return ContractCorpus(settings, projects.get(ref))


_CORPORA: dict[int, ContractCorpus] = {}


class RetrieverContract:
    """Tests every retrieval strategy must pass (see the module doc).

    A subclass whose strategy is tested with a stand-in model that can't rank by relevance
    (e.g. an untrained cross-encoder head) sets ``test_finds_a_document_by_its_own_words =
    None`` to leave out that one test.
    """

    @pytest.fixture
    def contract_corpus(self, tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> ContractCorpus:
        if id(registry) not in _CORPORA:
            settings = Settings(data_dir=tmp_path_factory.mktemp("retriever-contract"))
            _CORPORA[id(registry)] = build_contract_corpus(settings, registry)
        return _CORPORA[id(registry)]

    @pytest.fixture
    def ask(
        self,
        contract_corpus: ContractCorpus,
        registry: Registry,
        strategy_type: str,
        strategy_config: dict[str, Any],
    ) -> Any:
        """``ask(query, database=DB, **request_fields) -> RetrievalResult`` with this strategy."""
        from llamafarm_core.retrieval import service

        base = contract_corpus.project
        project = Project(base.ref, base.path, base.config.model_copy(deep=True), [])
        assert project.config.rag is not None
        ref = RetrievalStrategyRef(name="under_test", type=strategy_type, config=strategy_config)
        for db in project.config.rag.databases:  # the strategy under test on both databases
            db.retrieval_strategies = [ref]

        def run(query: str, database: str = DB, **fields: Any) -> RetrievalResult:
            if "filters" in fields:
                fields["filters"] = tuple(parse_filters(fields["filters"]))
            request = RetrievalRequest(query, **fields)
            return service.query(contract_corpus.settings, registry, project, request, database, "under_test")

        return run

    def test_registered_with_a_config_model(
        self, registry: Registry, strategy_type: str, strategy_config: dict
    ) -> None:
        info = registry.get(PluginKind.RETRIEVAL_STRATEGY, strategy_type)
        info.cls.Config.model_validate(strategy_config)
        with pytest.raises(Exception):  # noqa: B017 - any validation error; typos never pass silently
            registry.validate_config(
                PluginKind.RETRIEVAL_STRATEGY, strategy_type, {**strategy_config, "no_such_key": 1}
            )

    def test_ranked_hits_with_scores_in_unit_interval(self, ask: Any) -> None:
        result = ask("ocean tides and the moon", top_k=5)
        assert result.hits, "expected hits for a query on stored topics"
        scores = [h.score for h in result.hits]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)
        assert len({h.id for h in result.hits}) == len(result.hits)
        for hit in result.hits:
            assert hit.text and hit.metadata.get("file_hash") and hit.metadata.get("filename") in DOCS

    def test_top_k(self, ask: Any) -> None:
        assert len(ask("mountains and oceans and sand", top_k=1).hits) == 1
        assert len(ask("mountains and oceans and sand", top_k=3).hits) <= 3

    def test_finds_a_document_by_its_own_words(self, ask: Any) -> None:
        hits = ask("glaciers grind down mountain valleys and carve fjords", top_k=3).hits
        assert "glaciers.md" in [h.metadata["filename"] for h in hits]

    def test_metadata_filters(self, ask: Any) -> None:
        result = ask("water and ocean life and sand", top_k=5, filters={"topic": "ocean"})
        assert result.hits and all(h.metadata["topic"] == "ocean" for h in result.hits)
        ranged = ask("water and ocean life and sand", top_k=5, filters={"rank": {"$gte": 4}})
        assert all(matches(h.metadata, parse_filters({"rank": {"$gte": 4}})) for h in ranged.hits)
        assert ask("ocean tides", top_k=5, filters={"no_such_key": {"$ne": "x"}}).hits == []

    def test_score_threshold(self, ask: Any) -> None:
        hits = ask("ocean tides and the moon", top_k=5).hits
        cut = hits[0].score
        kept = ask("ocean tides and the moon", top_k=5, score_threshold=cut).hits
        assert kept and all(h.score >= cut for h in kept)

    def test_same_query_same_answer(self, ask: Any) -> None:
        first = ask("lava and basalt", top_k=3)
        second = ask("lava and basalt", top_k=3)
        assert [(h.id, round(h.score, 6)) for h in first.hits] == [
            (h.id, round(h.score, 6)) for h in second.hits
        ]

    def test_empty_database_answers_with_nothing(self, ask: Any) -> None:
        assert ask("ocean tides", database=EMPTY, top_k=3).hits == []
