"""The processing pipeline: a dataset's stored files → chunks in its database.

Entry point for the server and for RQ jobs (plain, JSON-serialisable arguments)::

    report = process_files(settings, "ns", "project", "dataset")            # every member file
    report = process_files(settings, "ns", "project", "dataset", ["<sha256>", ...])
    report.to_dict()   # the process response body; report.results: list[FileResult]

Per run: files already processed with the same fingerprint are ``skipped``; the others are
parsed (parser candidates by ORIGINAL file name, higher priority first, next on failure),
stamped (file_hash, filename, chunk_index, document_id), run through their extractors,
embedded ACROSS files in length-sorted batches, and written with deterministic ids
(:func:`llamafarm_core.vectors.chunk_id`) — new chunks first, then the file's stale ones
deleted — to the vector store and the lexical index. Every problem is confined to its file
and reported with a reason; only request-level mistakes raise (unknown project or dataset
→ NotFound, no rag section / strategy / database → BadRequest). Runs over the same dataset
are serialised by a lock file; a file removed from the dataset mid-run is not written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from llamafarm_core.config.models import DataProcessingStrategy, Dataset, ExtractorRef, ParserRef
from llamafarm_core.databases import DatabaseHandle, EmbedderCache, open_database, require_rag
from llamafarm_core.databases.locks import file_lock
from llamafarm_core.datasets.blobs import BlobStore
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.datasets.state import FileState, ProcessingStatus, StateStore
from llamafarm_core.datasets.store import find_dataset
from llamafarm_core.documents import SourceFile
from llamafarm_core.errors import BadRequest, LlamaFarmError
from llamafarm_core.ingest.components import StrategyComponents
from llamafarm_core.ingest.embedding import EmbedderFailed, embed_files
from llamafarm_core.ingest.fingerprint import fingerprint
from llamafarm_core.ingest.isolation import FileBudget, prepare_isolated
from llamafarm_core.ingest.prepare import PreparedFile, PrepareFailed
from llamafarm_core.ingest.results import FileResult, FileStatus, ProcessReport
from llamafarm_core.ingest.selection import matching_extractors, matching_parsers
from llamafarm_core.ingest.writing import WriteItem, write_items
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.settings import Settings

GROUP_CHUNKS = 512  # chunks parsed ahead and embedded together (length-sorted)
Progress = Callable[[int, int], None]


@cache
def default_registry() -> Registry:
    """The registry of the installed plugins, built once per process on first use."""
    return build_registry(get_plugin_manager())


@dataclass
class _Pending:
    source: SourceFile
    parsers: list[ParserRef]
    extractors: list[ExtractorRef]
    fingerprint: str
    previous: FileState | None


def resolve_strategy(project: Project, dataset: Dataset) -> tuple[DataProcessingStrategy, int]:
    """The dataset's data processing strategy (and its index); BadRequest naming the known
    ones when it has none or names one the config lacks."""
    rag = require_rag(project)
    known = [s.name for s in rag.data_processing_strategies]
    name = dataset.data_processing_strategy or (known[0] if len(known) == 1 else None)
    strategy = rag.strategy(name) if name else None
    if strategy is None:
        raise BadRequest(
            f"dataset {dataset.name!r} has no usable data_processing_strategy "
            f"({dataset.data_processing_strategy!r}); known: {', '.join(known) or '(none)'}"
        )
    return strategy, rag.data_processing_strategies.index(strategy)


def process_files(
    settings: Settings,
    namespace: str,
    project: str,
    dataset: str,
    file_hashes: Sequence[str] | None = None,
    *,
    registry: Registry | None = None,
    embedders: EmbedderCache | None = None,
    progress: Progress | None = None,
    reraise: tuple[type[BaseException], ...] = (),
) -> ProcessReport:
    """Process ``file_hashes`` (default: every file) of a dataset; see the module docstring.

    ``progress(done, total)`` is called as files complete (e.g. to update a job's meta).
    ``reraise``: when the embedder fails with one of these exception types (e.g. a transient
    UpstreamError), the run stops and the exception propagates instead of failing the
    remaining files — for a caller that retries later (an RQ job). Files written before
    keep their ``processed`` state, so the retry skips them.
    """
    registry = registry or default_registry()
    projects = ProjectStore(settings, registry)
    ref = ProjectRef(namespace, project)
    layout = ProjectLayout(projects.get(ref).path)
    find_dataset(projects.get(ref), dataset)
    with file_lock(layout.dataset_dir(dataset) / ".process.lock", exclusive=True):
        current = projects.get(ref)  # re-read: another run may have changed things meanwhile
        ds = find_dataset(current, dataset)
        strategy, index = resolve_strategy(current, ds)
        try:
            handle = open_database(settings, registry, current, ds.database)
        except LlamaFarmError as err:
            raise BadRequest(f"dataset {dataset!r}: {err.message}") from None
        run = _Run(
            projects,
            ref,
            ds,
            strategy,
            StrategyComponents(registry, strategy, index),
            handle,
            progress,
            reraise,
        )
        hashes = list(dict.fromkeys(ds.files if file_hashes is None else file_hashes))
        run.budget = FileBudget.from_settings(settings)
        return run.execute(hashes)


class _Run:
    """One processing run (state between the steps; not reused)."""

    # Parse + extract of one file run in a child process killed past this budget (set by
    # process_files from Settings; see llamafarm_core/ingest/isolation.py).
    budget = FileBudget(0, 0)

    def __init__(
        self,
        projects: ProjectStore,
        ref: ProjectRef,
        dataset: Dataset,
        strategy: DataProcessingStrategy,
        components: StrategyComponents,
        handle: DatabaseHandle,
        progress: Progress | None,
        reraise: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.projects = projects
        self.ref = ref
        self.dataset = dataset
        self.strategy = strategy
        self.components = components
        self.handle = handle
        self.progress = progress
        self.reraise = reraise
        layout = ProjectLayout(projects.get(ref).path)
        self.blobs = BlobStore(layout)
        self.states = StateStore(layout, dataset.name)
        self.embedder = handle.embedder_type
        self.results: dict[str, FileResult] = {}
        self.total = 0

    def execute(self, hashes: list[str]) -> ProcessReport:
        self.total = len(hashes)
        pending = [p for p in (self._triage(h) for h in hashes) if p is not None]
        self._report_progress()
        group: list[tuple[_Pending, PreparedFile]] = []
        try:
            for i, item in enumerate(pending):
                prepared = self._prepare(item)
                if prepared is not None:
                    group.append((item, prepared))
                size = sum(len(p.chunks) for _, p in group)
                if group and (size >= GROUP_CHUNKS or i == len(pending) - 1):
                    self._embed_and_write(group)
                    group = []
                    self._report_progress()
        except EmbedderFailed as err:
            if self.reraise and isinstance(err.__cause__, self.reraise):
                raise err.__cause__ from None
            for item in pending:
                if item.source.file_hash not in self.results:
                    self._fail(item, f"the embedder failed: {err.reason}")
        self._report_progress()
        return ProcessReport(
            dataset=self.dataset.name,
            strategy=self.strategy.name,
            database=self.handle.name,
            results=[self.results[h] for h in hashes],
        )

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(len(self.results), self.total)

    # -- steps ----------------------------------------------------------------------------

    def _triage(self, file_hash: str) -> _Pending | None:
        """Decide what to do with a file: fail it now, skip it, or process it."""
        result = FileResult(file_hash, None, FileStatus.FAILED, embedder=self.embedder)
        if file_hash not in self.dataset.files:
            result.reason = f"file {file_hash[:80]} is not in dataset {self.dataset.name!r}"
            self.results[file_hash] = result
            return None
        source = self.blobs.source(file_hash)
        if source is None:
            result.reason = "the file's content is not in storage; upload it again"
            self.results[file_hash] = result
            return None
        result.filename = source.filename
        try:
            parsers = matching_parsers(self.strategy, source.filename, self.components.registry)
        except LlamaFarmError as err:
            parsers, result.reason = [], err.message
        if not parsers:
            result.reason = result.reason or (
                f"unsupported file type: no parser of strategy {self.strategy.name!r} takes {source.filename!r}"
            )
            self.results[file_hash] = result
            return None
        extractors = matching_extractors(self.strategy, source.filename)
        fp = fingerprint(parsers, extractors, self.handle.database)
        previous = self.states.get(file_hash)
        if previous and previous.status == ProcessingStatus.PROCESSED and previous.fingerprint == fp:
            self.results[file_hash] = FileResult(
                file_hash,
                source.filename,
                FileStatus.SKIPPED,
                parser=previous.parser,
                extractors=list(previous.extractors),
                chunks=previous.chunk_count,
                chunk_size=previous.chunk_size,
                embedder=previous.embedder,
                reason="already processed with the same strategy and database",
            )
            return None
        return _Pending(source, parsers, extractors, fp, previous)

    def _prepare(self, item: _Pending) -> PreparedFile | None:
        try:
            return prepare_isolated(self.budget, self.components, item.source, item.parsers, item.extractors)
        except PrepareFailed as err:
            self._fail(item, err.reason, err.warnings)
            return None

    def _embed_and_write(self, group: list[tuple[_Pending, PreparedFile]]) -> None:
        try:
            embedder = self.handle.embedder()
        except LlamaFarmError as err:
            raise EmbedderFailed(err.message) from err
        batch_size = getattr(embedder.config, "batch_size", 32)
        outcome = embed_files(
            [[c.text for c in p.chunks] for _, p in group],
            self.handle.embed_documents,
            batch_size if isinstance(batch_size, int) else 32,
        )
        for f, reason in outcome.failed.items():
            self._fail(group[f][0], reason, group[f][1].warnings, group[f][1])
        items = [
            WriteItem(prepared, outcome.vectors[f], item.fingerprint, item.previous)
            for f, (item, prepared) in enumerate(group)
            if f in outcome.vectors
        ]
        if items and outcome.dimension is not None:
            self._write(items, outcome.dimension)

    def _write(self, items: list[WriteItem], dimension: int) -> None:
        with self.handle.writing() as store:
            # Membership is re-read under the lock: a file removed meanwhile is not written
            # (the removal deletes chunks under the same lock, before or after us).
            current = self.projects.get(self.ref).config.dataset(self.dataset.name)
            members = set(current.files) if current else set()
            gone = [w for w in items if w.file_hash not in members]
            for w in gone:
                self.results[w.file_hash] = self._result(w.prepared, FileStatus.FAILED)
                self.results[w.file_hash].reason = "removed from the dataset while it was being processed"
            items = [w for w in items if w.file_hash in members]
            if not items:
                return
            try:
                self.handle.ensure_model(store, dimension)
            except LlamaFarmError as err:
                raise EmbedderFailed(err.message) from err
            failed = write_items(self.handle, store, self.states, items, self.embedder)
        for w in items:
            result = self._result(
                w.prepared, FileStatus.FAILED if w.file_hash in failed else FileStatus.PROCESSED
            )
            result.reason = failed.get(w.file_hash)
            self.results[w.file_hash] = result

    # -- results --------------------------------------------------------------------------

    def _result(self, prepared: PreparedFile, status: FileStatus) -> FileResult:
        return FileResult(
            hash=prepared.source.file_hash,
            filename=prepared.source.filename,
            status=status,
            parser=prepared.parser,
            extractors=list(prepared.extractors),
            chunks=len(prepared.chunks) if status == FileStatus.PROCESSED else 0,
            chunk_size=prepared.chunk_size,
            embedder=self.embedder,
            warnings=list(prepared.warnings),
        )

    def _fail(
        self,
        item: _Pending,
        reason: str,
        warnings: list[str] | None = None,
        prepared: PreparedFile | None = None,
    ) -> None:
        """Record a failure. Chunks of an earlier successful run stay (they are complete and
        still searchable); the state keeps their ids so a later run or removal finds them."""
        if prepared is not None:
            result = self._result(prepared, FileStatus.FAILED)
        else:
            result = FileResult(
                item.source.file_hash, item.source.filename, FileStatus.FAILED, embedder=self.embedder
            )
            result.warnings = list(warnings or [])
        result.reason = reason
        self.results[item.source.file_hash] = result
        kept = item.previous.chunk_ids if item.previous else []
        self.states.put(
            FileState(
                item.source.file_hash,
                ProcessingStatus.FAILED,
                None,
                self.handle.name,
                chunk_ids=list(kept),
                reason=reason,
                warnings=result.warnings,
            )
        )
