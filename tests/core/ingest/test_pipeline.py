"""The processing pipeline end to end with real parsers, extractors, the bundled embedding
model and embedded Chroma: searchable chunks, idempotence, replacement, exact deletion."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llamafarm_core.databases import DatabaseHandle, EmbedderMismatch, open_database
from llamafarm_core.datasets import DatasetStore, ProcessingStatus, StateStore
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.errors import UpstreamError
from llamafarm_core.ingest.pipeline import process_files
from llamafarm_core.ingest.results import FileStatus, ProcessReport
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import ProjectRef, ProjectStore
from llamafarm_core.settings import Settings
from tests.core.ingest.pipeline_samples import SENTENCES, good_files

pytestmark = pytest.mark.slow

REF = ProjectRef("ns", "proj")
MINILM = {
    "name": "minilm",
    "type": "SentenceTransformerEmbedder",
    "config": {"model_name": "all-MiniLM-L6-v2", "batch_size": 16},
}
ALL_PARSERS: list[dict[str, Any]] = [
    {
        "type": "PDFParser_PyPDF2",
        "file_include_patterns": ["*.pdf"],
        "config": {"chunk_size": 400, "chunk_overlap": 40, "chunk_strategy": "paragraphs"},
    },
    {"type": "DocxParser_PythonDocx", "file_include_patterns": ["*.docx"]},
    {
        "type": "MarkdownParser_Python",
        "file_include_patterns": ["*.md"],
        "config": {"chunk_strategy": "sections"},
    },
    {"type": "TextParser_Python", "file_include_patterns": ["*.txt"], "config": {"chunk_size": 1000}},
    {
        "type": "CSVParser_Python",
        "file_include_patterns": ["*.csv"],
        "config": {"chunk_strategy": "rows", "chunk_overlap": 0},
    },
    {"type": "ExcelParser_OpenPyXL", "file_include_patterns": ["*.xlsx"]},
    {"type": "HTMLParser", "file_include_patterns": ["*.html"]},
    {"type": "JSONParser", "file_include_patterns": ["*.json"]},
    {"type": "CodeParser", "file_include_patterns": ["*.py"]},
]
EXTRACTORS: list[dict[str, Any]] = [
    {"type": "ContentStatisticsExtractor", "file_include_patterns": ["*"]},
    {"type": "KeywordExtractor", "file_include_patterns": ["*"], "config": {"max_keywords": 5}},
    {"type": "PathExtractor", "file_include_patterns": ["*"]},
]


def make_config(
    parsers: Sequence[dict[str, Any]] = ALL_PARSERS,
    extractors: Sequence[dict[str, Any]] = EXTRACTORS,
    embedder: dict[str, Any] = MINILM,
) -> dict[str, Any]:
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
                    "config": {"distance_function": "cosine"},
                    "embedding_strategies": [embedder],
                }
            ],
            "data_processing_strategies": [
                {"name": "everything", "parsers": list(parsers), "extractors": list(extractors)}
            ],
        },
    }


@dataclass
class Env:
    settings: Settings
    registry: Registry
    projects: ProjectStore
    datasets: DatasetStore

    def configure(self, config: dict[str, Any]) -> None:
        """Replace the config, keeping the datasets (as a user editing the YAML would)."""
        config = dict(config)
        if self.projects.exists(REF):
            config["datasets"] = [
                d.model_dump(mode="json", exclude_unset=True) for d in self.projects.get(REF).config.datasets
            ]
            self.projects.update(REF, config)
        else:
            self.projects.create(REF, "server")
            self.projects.update(REF, config)
            self.datasets.create(REF, "docs", "everything", "main_db")

    def upload(self, name: str, data: bytes, dataset: str = "docs") -> str:
        with self.datasets.open_upload(REF, dataset) as writer:
            writer.write(data)
            return self.datasets.commit_upload(REF, dataset, writer, name, "application/octet-stream").hash

    def process(self, hashes: list[str] | None = None) -> ProcessReport:
        return process_files(self.settings, REF.namespace, REF.name, "docs", hashes, registry=self.registry)

    def handle(self) -> DatabaseHandle:
        return open_database(self.registry, self.projects.get(REF), "main_db")

    def counts(self) -> tuple[int, int]:
        """(vector store chunks, lexical index chunks)."""
        info = self.handle().info()
        return info.chunk_count, info.lexical_count

    def states(self) -> StateStore:
        return StateStore(ProjectLayout(self.projects.project_dir(REF)), "docs")


@pytest.fixture
def env(settings: Settings, registry: Registry) -> Env:
    projects = ProjectStore(settings, registry)
    e = Env(settings, registry, projects, DatasetStore(settings, projects, registry))
    e.configure(make_config())
    return e


def env_with_plugins(settings: Settings, *plugins: object) -> Env:
    """An Env whose registry is the installed plugins plus ``plugins`` (pluggy hook objects)."""
    from llamafarm_core.plugins import build_registry, get_plugin_manager

    registry = build_registry(get_plugin_manager(extra_plugins=list(plugins)))
    projects = ProjectStore(settings, registry)
    return Env(settings, registry, projects, DatasetStore(settings, projects, registry))


def by_name(report: ProcessReport) -> dict[str, Any]:
    return {r.filename: r for r in report.results}


def test_every_supported_type_is_found_by_its_sentence(env: Env) -> None:
    hashes = {name: env.upload(name, data) for name, data in good_files().items()}
    report = env.process()
    results = by_name(report)
    assert {n: r.status for n, r in results.items()} == dict.fromkeys(SENTENCES, FileStatus.PROCESSED), [
        (r.filename, r.reason) for r in report.results if r.reason
    ]
    assert report.strategy == "everything" and report.database == "main_db"
    assert results["manual.pdf"].parser == "PDFParser_PyPDF2" and results["manual.pdf"].chunk_size == 400
    assert results["sales.xlsx"].extractors == [
        "ContentStatisticsExtractor",
        "KeywordExtractor",
        "PathExtractor",
    ]
    assert all(r.embedder == "SentenceTransformerEmbedder" for r in report.results)

    handle = env.handle()
    for name, sentence in SENTENCES.items():
        vector = handle.embed_query(sentence)
        with handle.reading() as store:
            top = store.search(vector, top_k=1)[0]
        md = top.metadata
        assert md["filename"] == name, (name, top.text)
        assert md["file_hash"] == hashes[name] and md["document_id"] == hashes[name]
        assert isinstance(md["chunk_index"], int)
        assert "word_count" in md and "keywords" in md and md["file_extension"] in name
        if name.endswith(".pdf"):
            assert md["page"] == 2  # the sentence is on the second page
    chunks = sum(r.chunks for r in report.results)
    info = handle.info()
    assert (info.chunk_count, info.lexical_count, info.document_count) == (chunks, chunks, len(SENTENCES))
    assert info.model is not None and info.model.dimension == 384
    assert json.loads((handle.path / "collection.json").read_text())["model_id"] == info.model.model_id


def test_reprocessing_is_skipped_and_a_new_strategy_replaces_chunks(env: Env) -> None:
    long_text = "\n\n".join(
        f"Paragraph {i} is about gliders and thermals over ridge {i}. " * 4 for i in range(12)
    )
    h_long = env.upload("long.txt", long_text.encode())
    h_chess = env.upload("chess.txt", good_files()["chess.txt"])
    first = env.process()
    assert [r.status for r in first.results] == [FileStatus.PROCESSED] * 2
    total = sum(r.chunks for r in first.results)
    assert env.counts() == (total, total)

    again = env.process()
    assert [r.status for r in again.results] == [FileStatus.SKIPPED] * 2
    assert [r.chunks for r in again.results] == [r.chunks for r in first.results]
    assert env.counts() == (total, total)

    for size, more in ((200, True), (2000, False)):
        parsers = [dict(p) for p in ALL_PARSERS]
        parsers[3] = {**parsers[3], "config": {"chunk_size": size, "chunk_overlap": 20}}
        env.configure(make_config(parsers=parsers))
        before = {r.hash: r.chunks for r in env.process([h_chess]).results}  # only chess.txt
        assert before == {h_chess: 1}
        report = env.process()
        statuses = {r.hash: r.status for r in report.results}
        assert statuses == {h_long: FileStatus.PROCESSED, h_chess: FileStatus.SKIPPED}
        n_long = next(r.chunks for r in report.results if r.hash == h_long)
        old = next(r.chunks for r in first.results if r.hash == h_long)
        assert (n_long > old) if more else (n_long < old)
        assert env.counts() == (n_long + 1, n_long + 1)  # old chunks of long.txt are gone
        with env.handle().reading() as store:
            assert len(store.ids_for_file(h_long)) == n_long
        first = report


def test_removing_a_file_removes_exactly_its_chunks(env: Env) -> None:
    files = good_files()
    hashes = {n: env.upload(n, files[n]) for n in ("manual.pdf", "chess.txt", "animals.csv")}
    report = env.process()
    chunks = {r.hash: r.chunks for r in report.results}
    total = sum(chunks.values())
    pdf = hashes["manual.pdf"]
    removal = env.datasets.remove_file(REF, "docs", pdf, remove_from_disk=False)
    assert removal.removed_chunks == chunks[pdf] > 1
    assert env.counts() == (total - chunks[pdf], total - chunks[pdf])
    with env.handle().reading() as store:
        assert store.ids_for_file(pdf) == []
        assert store.file_counts() == {h: n for h, n in chunks.items() if h != pdf}
    assert env.states().get(pdf) is None
    assert [r.status for r in env.process().results] == [FileStatus.SKIPPED] * 2

    deletion = env.datasets.delete(REF, "docs")
    assert deletion.removed_chunks == total - chunks[pdf]
    assert env.counts() == (0, 0)
    assert not (env.handle().path / "collection.json").exists()  # an empty store forgets its model


def test_unreachable_embedder_fails_each_file_with_a_reason(env: Env) -> None:
    from tests.conftest import free_port

    nowhere = {
        "name": "remote",
        "type": "UniversalEmbedder",
        "config": {
            "model": "nomic-embed-text",
            "base_url": f"http://127.0.0.1:{free_port()}/v1",
            "timeout": 5,
        },
    }
    env.configure(make_config(embedder=nowhere))
    h = env.upload("chess.txt", good_files()["chess.txt"])
    report = env.process()
    (result,) = report.results
    assert result.status == FileStatus.FAILED and result.reason
    assert "embedder" in result.reason.lower() and "127.0.0.1" in result.reason, result.reason
    state = env.states().get(h)
    assert state is not None and state.status == ProcessingStatus.FAILED and state.reason == result.reason
    assert env.counts() == (0, 0)
    env.configure(make_config())  # back to the bundled model: the same file now goes through
    assert [r.status for r in env.process().results] == [FileStatus.PROCESSED]


def test_a_transient_embedder_failure_is_raised_for_a_retry_when_asked(env: Env) -> None:
    """Jobs with retries left pass ``reraise``: the error propagates and nothing is failed."""
    from tests.conftest import free_port

    nowhere = {
        "name": "remote",
        "type": "UniversalEmbedder",
        "config": {"model": "m", "base_url": f"http://127.0.0.1:{free_port()}/v1", "timeout": 5},
    }
    env.configure(make_config(embedder=nowhere))
    h = env.upload("chess.txt", good_files()["chess.txt"])
    with pytest.raises(UpstreamError, match="127.0.0.1"):
        process_files(
            env.settings,
            REF.namespace,
            REF.name,
            "docs",
            None,
            registry=env.registry,
            reraise=(UpstreamError,),
        )
    state = env.states().get(h)
    assert state is None or state.status != ProcessingStatus.FAILED
    assert env.counts() == (0, 0)


def test_another_model_in_a_filled_database_says_reindex(env: Env) -> None:
    env.upload("chess.txt", good_files()["chess.txt"])
    env.process()
    record = env.handle().path / "collection.json"
    data = json.loads(record.read_text())
    record.write_text(json.dumps({**data, "model_id": "some-other-model", "dimension": 768}))
    with pytest.raises(EmbedderMismatch, match="reindex"):
        env.handle().embed_query("queens and kings")
    env.upload("bees.html", good_files()["bees.html"])
    report = env.process()
    failed = [r for r in report.results if r.status == FileStatus.FAILED]
    assert [r.filename for r in failed] == ["bees.html"] and "reindex" in (failed[0].reason or "")
    assert env.counts() == (1, 1)  # the existing chunks are untouched


def test_parser_fallback_and_failing_extractor_are_warnings(settings: Settings) -> None:
    from llamafarm_core.components.extractor import Extractor
    from llamafarm_core.plugins import hookimpl

    class BrokenExtractor(Extractor):
        """Raises halfway through, after touching the first chunk."""

        name = "broken"

        def extract(self, chunks, source):  # type: ignore[no-untyped-def]
            chunks[0].metadata["half_done"] = True
            raise RuntimeError("extractor bug")

    class Plugin:
        @hookimpl
        def register_extractors(self) -> list[type]:
            return [BrokenExtractor]

    env = env_with_plugins(settings, Plugin())
    parsers = [
        {"type": "PDFParser_PyPDF2", "file_include_patterns": ["*.txt"], "priority": 100},
        {"type": "TextParser_Python", "file_include_patterns": ["*.txt"], "priority": 10},
    ]
    extractors = [{"type": "broken"}, {"type": "PathExtractor"}]
    env.configure(make_config(parsers=parsers, extractors=extractors))
    env.upload("chess.txt", good_files()["chess.txt"])
    (result,) = env.process().results
    assert result.status == FileStatus.PROCESSED and result.parser == "TextParser_Python"
    assert result.extractors == ["PathExtractor"]
    assert any("fell back to TextParser_Python" in w and "PDFParser_PyPDF2" in w for w in result.warnings)
    assert any("extractor broken failed" in w and "extractor bug" in w for w in result.warnings)
    with env.handle().reading() as store:
        (hit,) = store.get(store.ids_for_file(result.hash))
    assert "half_done" not in hit.metadata and hit.metadata["file_extension"] == ".txt"


def test_files_are_prepared_two_at_a_time_in_order_and_a_failure_stays_alone(settings: Settings) -> None:
    """Two files are parsed at once, and the files after them are already claimed (and
    triaged) while they are, so a parser that ends one file starts the next at once."""
    from llamafarm_core.components.parser import Parser
    from llamafarm_core.documents import Chunk, ParseResult, SourceFile
    from llamafarm_core.ingest.claims import FileClaims
    from llamafarm_core.plugins import hookimpl

    lock, busy, peak = threading.Lock(), [0], [0]
    hashes: dict[str, str] = {}
    ahead: dict[str, bool] = {}  # file name -> claimed by the run while "a.slow" was parsed

    class SlowParser(Parser):
        """Takes 0.2 s per file and counts how many files it holds at once. Defined here, so
        it cannot be pickled for an isolation child and runs in this process, where the
        count is visible."""

        name = "slow"

        def parse(self, source: SourceFile) -> ParseResult:
            with lock:
                busy[0] += 1
                peak[0] = max(peak[0], busy[0])
            time.sleep(0.2)
            if source.filename == "a.slow":
                probe = FileClaims(ProjectLayout(env.projects.project_dir(REF)).dataset_dir("docs"))
                for name in ("bad.slow", "c.slow"):
                    ahead[name] = not probe.try_claim(hashes[name])
                    if not ahead[name]:
                        probe.release(hashes[name])
            with lock:
                busy[0] -= 1
            if source.filename.startswith("bad"):
                raise ValueError("this file is broken")
            return ParseResult([Chunk(f"The file {source.filename} talks about gliders.", {})])

    class Plugin:
        @hookimpl
        def register_parsers(self) -> list[type]:
            return [SlowParser]

    env = env_with_plugins(settings, Plugin())
    env.configure(make_config(parsers=[{"type": "slow", "file_include_patterns": ["*.slow"]}], extractors=[]))
    names = ["a.slow", "b.slow", "bad.slow", "c.slow", "d.slow"]
    hashes.update((name, env.upload(name, name.encode())) for name in names)
    report = env.process()
    assert peak[0] == 2
    assert ahead == {"bad.slow": True, "c.slow": True}
    assert [r.hash for r in report.results] == list(hashes.values())
    assert [r.status for r in report.results] == [FileStatus.PROCESSED] * 2 + [FileStatus.FAILED] + [
        FileStatus.PROCESSED
    ] * 2
    assert "this file is broken" in (report.results[2].reason or "")
    # Every claim was released: a second run takes each file again at once (a leaked claim
    # would make it wait for that file forever).
    again = env.process()
    assert [r.status for r in again.results] == [FileStatus.SKIPPED] * 2 + [FileStatus.FAILED] + [
        FileStatus.SKIPPED
    ] * 2


def test_missing_content_unknown_hash_and_unsupported_type(env: Env) -> None:
    ghost = "f" * 64
    with env.projects.edit(REF) as project:
        ds = project.config.dataset("docs")
        assert ds is not None
        ds.files = [*ds.files, ghost]
    odd = env.upload("data.xyz", b"\x00\x01 binary")
    results = {r.hash: r for r in env.process([ghost, odd, "e" * 64]).results}
    assert "not in storage" in (results[ghost].reason or "")
    assert "unsupported file type" in (results[odd].reason or "") and results[odd].filename == "data.xyz"
    assert "not in dataset" in (results["e" * 64].reason or "")
    assert {r.status for r in results.values()} == {FileStatus.FAILED}


def test_concurrent_runs_process_each_file_once(env: Env) -> None:
    files = good_files()
    for name in ("chess.txt", "volcano.md", "animals.csv"):
        env.upload(name, files[name])
    reports: list[ProcessReport] = []
    threads = [threading.Thread(target=lambda: reports.append(env.process())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The runs share the work (each file is claimed by one of them); the other one waits for
    # it and then finds it processed.
    first, second = (rep.results for rep in reports)
    per_file = {a.hash: sorted([a.status.value, b.status.value]) for a, b in zip(first, second, strict=True)}
    assert list(per_file.values()) == [["processed", "skipped"]] * 3
    total = sum(r.chunks for rep in reports for r in rep.results if r.status == FileStatus.PROCESSED)
    assert env.counts() == (total, total)


def test_no_temp_or_interrupted_state_left(env: Env) -> None:
    env.upload("chess.txt", good_files()["chess.txt"])
    env.process()
    project_dir = env.projects.project_dir(REF)
    assert list((project_dir / "files" / ".tmp").iterdir()) == []
    assert [s.status for s in env.states().all().values()] == [ProcessingStatus.PROCESSED]


def test_repeated_chunks_of_a_file_are_stored_once(env: Env) -> None:
    boilerplate = "Confidential. Do not distribute outside the flight school without written approval. " * 10
    text = "\n\n".join(
        [boilerplate] * 8 + ["Spin recovery: throttle idle, ailerons neutral, full opposite rudder."]
    )
    env.upload("handbook.txt", text.encode())
    (result,) = env.process().results
    assert result.status == FileStatus.PROCESSED
    # 8 copies of the same paragraph: the first, the first with the previous one's overlap,
    # and the closing paragraph remain; the other copies are identical and dropped.
    assert result.chunks == 3, result
    assert any("6 chunk(s) repeating" in w for w in result.warnings), result.warnings
    assert env.counts() == (3, 3)


def test_an_unreachable_store_keeps_membership_and_dataset(env: Env) -> None:
    from llamafarm_core.errors import LlamaFarmError
    from tests.conftest import free_port

    h = env.upload("chess.txt", good_files()["chess.txt"])
    env.process()
    original = env.projects.get(REF).config.model_dump(mode="json", exclude_unset=True)
    broken = make_config()
    broken["rag"]["databases"][0].update(
        type="QdrantStore", config={"url": f"http://127.0.0.1:{free_port()}", "timeout": 2}
    )
    env.configure(broken)
    with pytest.raises(LlamaFarmError):
        env.datasets.remove_file(REF, "docs", h, remove_from_disk=True)
    assert env.projects.get(REF).config.dataset("docs").files == [h]  # type: ignore[union-attr]
    with pytest.raises(LlamaFarmError):
        env.datasets.delete(REF, "docs")
    assert env.projects.get(REF).config.dataset("docs") is not None
    env.projects.update(REF, original)
    assert env.datasets.remove_file(REF, "docs", h, remove_from_disk=True).removed_chunks == 1
    assert env.counts() == (0, 0)


@pytest.mark.parametrize("removed", ["before the pending mark", "after the pending mark"])
def test_a_file_removed_while_being_written_is_not_written_and_leaves_no_state(
    env: Env, monkeypatch: pytest.MonkeyPatch, removed: str
) -> None:
    """The pending state is written before the database's write lock is taken; a file
    taken out of the dataset just before or after that is not written, and no state of it
    is left (the removal deletes the state it sees; the run deletes the one it wrote)."""
    from llamafarm_core.ingest import pipeline

    files = good_files()
    keep, drop = env.upload("chess.txt", files["chess.txt"]), env.upload("bees.html", files["bees.html"])
    marked = pipeline.mark_pending

    def remove_around_the_mark(database: str, states: StateStore, items: list[Any]) -> Path:
        if removed.startswith("before"):
            env.datasets.remove_file(REF, "docs", drop, remove_from_disk=False)
        journal = marked(database, states, items)
        assert states.get(drop) is not None and states.get(drop).status == ProcessingStatus.PENDING  # type: ignore[union-attr]
        if removed.startswith("after"):
            env.datasets.remove_file(REF, "docs", drop, remove_from_disk=False)
        return journal

    monkeypatch.setattr(pipeline, "mark_pending", remove_around_the_mark)
    results = {r.hash: r for r in env.process().results}
    assert results[keep].status == FileStatus.PROCESSED
    assert results[drop].status == FileStatus.FAILED
    assert "removed from the dataset" in (results[drop].reason or "")
    assert env.states().get(drop) is None
    assert env.states().get(keep).status == ProcessingStatus.PROCESSED  # type: ignore[union-attr]
    with env.handle().reading() as store:
        assert store.ids_for_file(drop) == [] and store.ids_for_file(keep)
