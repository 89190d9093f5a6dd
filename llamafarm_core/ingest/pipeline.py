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
→ NotFound, no rag section / strategy / database → BadRequest). A file removed from the
dataset mid-run is not written.

Throughput structure: a producer thread parses and extracts files ahead (up to
:data:`PREFETCH` files, :data:`PREPARE_AHEAD` at once) while the calling thread embeds the
previous group of up to :data:`GROUP_CHUNKS` chunks in one length-sorted pass and writes it
in one batch under the database's write lock. Only that write is serialised between runs:
several runs (workers) over one dataset parse and embed in parallel, and per-file claims
(:mod:`llamafarm_core.ingest.claims`) keep two of them from working on the same file.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from llamafarm_core.config.models import DataProcessingStrategy, Dataset, ExtractorRef, ParserRef
from llamafarm_core.databases import DatabaseHandle, EmbedderCache, open_database, require_rag
from llamafarm_core.datasets.blobs import BlobStore
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.datasets.state import FileState, ProcessingStatus, StateStore
from llamafarm_core.datasets.store import find_dataset
from llamafarm_core.documents import SourceFile
from llamafarm_core.errors import BadRequest, LlamaFarmError
from llamafarm_core.ingest.claims import FileClaims, ensure_open_files
from llamafarm_core.ingest.embedding import EmbedderFailed, embed_files
from llamafarm_core.ingest.fingerprint import fingerprint
from llamafarm_core.ingest.isolation import FileBudget, prepare_isolated
from llamafarm_core.ingest.prepare import PreparedFile, PrepareFailed
from llamafarm_core.ingest.results import FileResult, FileStatus, ProcessReport
from llamafarm_core.ingest.selection import matching_extractors, matching_parsers
from llamafarm_core.ingest.strategy_components import StrategyComponents
from llamafarm_core.ingest.writing import WriteItem, mark_pending, write_items
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.settings import Settings

GROUP_CHUNKS = 1024  # chunks embedded together in one length-sorted pass, written in one batch
GROUP_FILES = 512  # ... and at most this many files (each holds a claim until written); = LF_JOB_BATCH_FILES' default: a job is one group
PREFETCH = 64  # files parsed ahead of the embedder
PREPARE_AHEAD = 2  # files parsed at once (one isolation child each)
TRIAGED_AHEAD = 2  # files claimed, triaged and queued for them beyond those (see _prepared)
EMBED_CALL = 1024  # texts per embedder call (it batches them itself, sorted by length)
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
    current = projects.get(ref)
    ds = find_dataset(current, dataset)
    strategy, index = resolve_strategy(current, ds)
    try:
        handle = open_database(registry, current, ds.database)
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
        self.claims = FileClaims(layout.dataset_dir(dataset.name))
        ensure_open_files(GROUP_FILES + PREFETCH + PREPARE_AHEAD + TRIAGED_AHEAD)  # a claim holds a lock file open
        self.members = set(dataset.files)

    def execute(self, hashes: list[str]) -> ProcessReport:
        self.total = len(hashes)
        self._report_progress()
        deferred: list[str] = []
        try:
            self._stream(hashes, deferred)
            # Files another run held: wait for each (holding no claim), then look again —
            # usually that run has processed it and it is skipped.
            for file_hash in sorted(deferred):
                self.claims.claim(file_hash)
                self._stream([file_hash], None)
        except EmbedderFailed as err:
            if self.reraise and isinstance(err.__cause__, self.reraise):
                raise err.__cause__ from None
            for file_hash in hashes:
                if file_hash not in self.results:
                    self._fail_unstarted(file_hash, f"the embedder failed: {err.reason}")
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

    # -- the stream: prepare ahead in a thread, embed and write groups here -----------------

    def _stream(self, hashes: list[str], deferred: list[str] | None) -> None:
        """Process ``hashes``. With ``deferred``, claims are taken without waiting and files
        held by another run are appended to it; without, the files are already claimed."""
        ready: queue.Queue[tuple[_Pending, PreparedFile] | None] = queue.Queue(maxsize=PREFETCH)
        stop = threading.Event()
        failure: list[BaseException] = []

        def produce() -> None:
            try:
                for pair in self._prepared(hashes, deferred, stop):
                    while not stop.is_set():
                        try:
                            ready.put(pair, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    else:
                        self.claims.release(pair[0].source.file_hash)
            except BaseException as err:  # re-raised in the calling thread
                failure.append(err)
            finally:
                ready.put(None)  # the consumer always drains to this marker

        producer = threading.Thread(target=produce, name="lf-prepare", daemon=True)
        producer.start()
        group: list[tuple[_Pending, PreparedFile]] = []
        size = 0
        drained = False
        try:
            while (pair := ready.get()) is not None:
                group.append(pair)
                size += len(pair[1].chunks)
                if size >= GROUP_CHUNKS or len(group) >= GROUP_FILES:
                    full, group, size = group, [], 0
                    self._flush(full)  # releases its claims, also when it fails
            drained = True
            if group:
                full, group = group, []
                self._flush(full)
        except BaseException:
            stop.set()
            for item, _ in group:
                self.claims.release(item.source.file_hash)
            while not drained and (pair := ready.get()) is not None:  # unblock the producer
                self.claims.release(pair[0].source.file_hash)
            raise
        finally:
            producer.join()
        if failure:
            raise failure[0]

    def _prepared(
        self, hashes: list[str], deferred: list[str] | None, stop: threading.Event
    ) -> Iterator[tuple[_Pending, PreparedFile]]:
        """(producer thread) Claim, triage and prepare each file; yield those to embed, in
        order, still claimed. A file that ends here (failed, skipped) is released at once.

        Up to :data:`PREPARE_AHEAD` files are prepared at once (each in its own isolation
        child): while the embedder waits for its first group, that uses the idle core.
        :data:`TRIAGED_AHEAD` more are claimed, triaged and queued behind them, so a child
        that ends a file starts the next at once instead of waiting while this thread
        claims and triages it (~0.6 ms a file: with only the files being prepared in the
        window, one child sat idle during each). Cranfield in runs of 512 files, in one
        process, alternating (``bench/pipeline_steps.py``): the three runs' first groups
        were ready after 2.37-2.40 s in all, against 2.70-2.73 s."""
        window: deque[tuple[_Pending, Future[PreparedFile | None]]] = deque()

        def finish_oldest() -> tuple[_Pending, PreparedFile] | None:
            item, future = window.popleft()
            try:
                prepared = future.result()
            except BaseException:
                self.claims.release(item.source.file_hash)
                raise
            if prepared is None:  # failed, and recorded why
                self.claims.release(item.source.file_hash)
                return None
            return item, prepared

        with ThreadPoolExecutor(PREPARE_AHEAD, thread_name_prefix="lf-prepare") as pool:
            try:
                for file_hash in hashes:
                    if stop.is_set():
                        return
                    if file_hash not in self.members:
                        self._triage(file_hash)  # records why
                        continue
                    if deferred is not None and not self.claims.try_claim(file_hash):
                        deferred.append(file_hash)
                        continue
                    try:
                        item = self._triage(file_hash)  # under the claim: the state read is current
                    except BaseException:
                        self.claims.release(file_hash)
                        raise
                    if item is None:
                        self.claims.release(file_hash)
                        continue
                    window.append((item, pool.submit(self._prepare, item)))
                    if len(window) >= PREPARE_AHEAD + TRIAGED_AHEAD and (done := finish_oldest()) is not None:
                        yield done
                while window:
                    if (done := finish_oldest()) is not None:
                        yield done
            finally:  # stopped or failed: what is still in the window is not embedded
                for item, future in window:
                    future.cancel()
                    with contextlib.suppress(BaseException):
                        future.result()
                    self.claims.release(item.source.file_hash)

    def _flush(self, group: list[tuple[_Pending, PreparedFile]]) -> None:
        try:
            self._embed_and_write(group)
        finally:
            for item, _ in group:
                self.claims.release(item.source.file_hash)
        self._report_progress()

    def _fail_unstarted(self, file_hash: str, reason: str) -> None:
        """Fail a file the run did not get to; its state is only written under a claim."""
        source = self.blobs.source(file_hash) if file_hash in self.members else None
        if source is None or not self.claims.try_claim(file_hash):
            self.results[file_hash] = FileResult(
                hash=file_hash,
                filename=source.filename if source else None,
                status=FileStatus.FAILED,
                embedder=self.embedder,
            )
            self.results[file_hash].reason = reason
            return
        try:
            self._fail(_Pending(source, [], [], "", self.states.get(file_hash)), reason)
        finally:
            self.claims.release(file_hash)

    # -- steps ----------------------------------------------------------------------------

    def _triage(self, file_hash: str) -> _Pending | None:
        """Decide what to do with a file: fail it now, skip it, or process it."""
        result = FileResult(hash=file_hash, filename=None, status=FileStatus.FAILED, embedder=self.embedder)
        if file_hash not in self.members:
            result.reason = f"file {file_hash[:80]} is not in dataset {self.dataset.name!r}"
            self.results[file_hash] = result
            return None
        # A member file is claimed here: a failure is written to its state, so the dataset's
        # file list says "failed" with the reason (not "pending", as if never tried).
        previous = self.states.get(file_hash)
        source = self.blobs.source(file_hash)
        if source is None:
            result.reason = "the file's content is not in storage; upload it again"
            self.results[file_hash] = result
            self._put_failed(file_hash, previous, result.reason)
            return None
        result.filename = source.filename
        try:
            parsers = matching_parsers(self.strategy, source.filename, self.components.registry)
        except LlamaFarmError as err:
            parsers, result.reason = [], err.message
        if not parsers:
            self._fail(
                _Pending(source, [], [], "", previous),
                result.reason
                or f"unsupported file type: no parser of strategy {self.strategy.name!r} takes {source.filename!r}",
            )
            return None
        extractors = matching_extractors(self.strategy, source.filename)
        fp = fingerprint(parsers, extractors, self.handle.database)
        if previous and previous.status == ProcessingStatus.PROCESSED and previous.fingerprint == fp:
            self.results[file_hash] = FileResult(
                hash=file_hash,
                filename=source.filename,
                status=FileStatus.SKIPPED,
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
        # One call per EMBED_CALL texts: the embedder cuts them into batches of its own
        # batch_size (the local model sorts them by word pieces first).
        outcome = embed_files(
            [[c.text for c in p.chunks] for _, p in group],
            self.handle.embed_documents,
            max(embedder.config.batch_size, EMBED_CALL),
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
        journal = mark_pending(self.handle.name, self.states, items)  # outside the lock (writing.py)
        with self.handle.writing() as store:
            # Membership is re-read under the lock: a file removed meanwhile is not written
            # (the removal deletes chunks under the same lock, before or after us), and the
            # state just marked for it goes.
            current = self.projects.get(self.ref).config.dataset(self.dataset.name)
            members = set(current.files) if current else set()
            gone = [w for w in items if w.file_hash not in members]
            for w in gone:
                self.states.delete(w.file_hash)
                self.results[w.file_hash] = self._result(w.prepared, FileStatus.FAILED)
                self.results[w.file_hash].reason = "removed from the dataset while it was being processed"
            items = [w for w in items if w.file_hash in members]
            failed: dict[str, str] = {}
            if items:
                try:
                    self.handle.ensure_model(store, dimension)
                except LlamaFarmError as err:
                    raise EmbedderFailed(err.message) from err
                failed = write_items(self.handle, store, self.states, items, self.embedder)
            # Every file of the group now has a newer record, or is gone. (On an exception the
            # journal stays: its ids are what the next run cleans up.)
            self.states.clear_pending(journal)
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
                hash=item.source.file_hash,
                filename=item.source.filename,
                status=FileStatus.FAILED,
                embedder=self.embedder,
            )
            result.warnings = list(warnings or [])
        result.reason = reason
        self.results[item.source.file_hash] = result
        self._put_failed(item.source.file_hash, item.previous, reason, result.warnings)

    def _put_failed(
        self, file_hash: str, previous: FileState | None, reason: str, warnings: list[str] | None = None
    ) -> None:
        """Write a failed state (the caller holds the file's claim); ids of earlier chunks kept."""
        kept = previous.chunk_ids if previous else []
        self.states.put(
            FileState(
                file_hash,
                ProcessingStatus.FAILED,
                None,
                self.handle.name,
                chunk_ids=list(kept),
                reason=reason,
                warnings=list(warnings or []),
            )
        )
