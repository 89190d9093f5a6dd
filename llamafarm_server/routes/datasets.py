"""Datasets: list, create, delete; upload files (one or many); process; remove a file."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import BodyPartReader, MultipartReader, hdrs, web

from llamafarm_core.datasets import (
    DatasetStore,
    DatasetView,
    FileRemoval,
    StoredUpload,
    UploadResult,
    UploadWriter,
    clean_filename,
    guess_mime_type,
)
from llamafarm_core.datasets.store import find_dataset
from llamafarm_core.errors import BadRequest, LlamaFarmError, PayloadTooLarge
from llamafarm_core.jobs.processing import processing_target
from llamafarm_core.projects import ProjectRef
from llamafarm_server.api import Router, run_blocking, run_long
from llamafarm_server.context import PROJECTS, REGISTRY, SETTINGS, project_ref
from llamafarm_server.routes.tasks import JOBS
from llamafarm_server.schemas.datasets import (
    BulkFileResult,
    BulkUploadForm,
    BulkUploadResponse,
    CreateDataset,
    DatasetBody,
    DatasetDeleted,
    DatasetDetails,
    DatasetList,
    DatasetResponse,
    ListQuery,
    ProcessQuery,
    ProcessResponse,
    RemoveFileQuery,
    StrategiesResponse,
    UploadForm,
    UploadResponse,
)

router = Router("Datasets")
BASE = "/v1/projects/{namespace}/{project}/datasets"
ONE = BASE + "/{dataset}"
READ_CHUNK = 1 << 20
MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around one file
# A bulk request commits this many received files at once while the next ones stream in:
# each commit keeps its order (fsync, rename, fsync'ed record), but concurrent fsyncs share
# the file system's journal commits (bench/upload_many.py).
COMMITS_IN_FLIGHT = 4


def _store(request: web.Request) -> DatasetStore:
    app = request.app
    return DatasetStore(app[SETTINGS], app[PROJECTS], app[REGISTRY])


def _body(view: DatasetView) -> DatasetBody:
    ds = view.dataset
    details = None
    if view.files is not None:
        details = DatasetDetails(
            total_files=len(view.files),
            total_size_bytes=view.total_size_bytes,
            file_details=view.files,
        )
    return DatasetBody(
        name=ds.name,
        database=ds.database,
        data_processing_strategy=ds.data_processing_strategy,
        files=list(ds.files),
        description=ds.description,
        details=details,
    )


@router.get(BASE, query=ListQuery, response=DatasetList)
async def list_datasets(request: web.Request, query: ListQuery) -> DatasetList:
    """List a project's datasets, with per-file details unless include_extra_details=false."""
    views = await run_blocking(
        _store(request).list_datasets, project_ref(request), details=query.include_extra_details
    )
    return DatasetList(total=len(views), datasets=[_body(v) for v in views])


@router.get(BASE + "/strategies", response=StrategiesResponse)
async def list_strategies(request: web.Request) -> StrategiesResponse:
    """The data processing strategies and databases a dataset can use."""
    names = await run_blocking(_store(request).strategies, project_ref(request))
    return StrategiesResponse(
        data_processing_strategies=names.data_processing_strategies, databases=names.databases
    )


@router.post(BASE, body=CreateDataset, response=DatasetResponse, status=201, responses={409: "exists"})
async def create_dataset(request: web.Request, body: CreateDataset) -> DatasetResponse:
    """Create a dataset; its strategy and database must exist in the project's config."""
    ds = await run_blocking(
        _store(request).create,
        project_ref(request),
        body.name,
        body.data_processing_strategy,
        body.database,
        body.description,
    )
    return DatasetResponse(dataset=_body(DatasetView(ds)))


@router.delete(ONE, response=DatasetDeleted)
async def delete_dataset(request: web.Request) -> DatasetDeleted:
    """Delete a dataset, its chunks, and stored files no other dataset uses. A task
    processing it is cancelled (its running jobs finish first), so no chunk outlives it."""
    ref, name = project_ref(request), request.match_info["dataset"]
    await run_long(request, request.app[JOBS].stop_dataset, ref.namespace, ref.name, name)
    gone = await run_blocking(_store(request).delete, ref, name)
    return DatasetDeleted(
        dataset=_body(DatasetView(gone.dataset)),
        removed_chunks=gone.removed_chunks,
        removed_files=gone.removed_files,
    )


async def _multipart(request: web.Request) -> MultipartReader:
    if not request.content_type.startswith("multipart/"):
        raise BadRequest("expected a multipart/form-data body with the file in field 'file'")
    try:
        return await request.multipart()
    except (AssertionError, ValueError) as err:
        raise BadRequest(f"malformed multipart body: {err}") from None


@dataclass
class _Received:
    """A file part's bytes in a temp file, not yet committed to storage."""

    writer: UploadWriter
    filename: str
    mime_type: str


async def _receive_part(request: web.Request, ref: ProjectRef, part: BodyPartReader) -> _Received:
    """Stream one file part into a temp file (deleted again if this fails)."""
    if not part.filename:
        raise BadRequest(f"field {part.name!r} must be a file upload (a part with a filename)")
    filename = clean_filename(part.filename)
    mime_type = guess_mime_type(filename, part.headers.get(hdrs.CONTENT_TYPE))
    writer = await run_blocking(_store(request).writer, ref)
    try:
        while chunk := await part.read_chunk(READ_CHUNK):
            await run_blocking(writer.write, chunk)
    except BaseException:
        await run_blocking(writer.abort)
        raise
    return _Received(writer, filename, mime_type)


async def _commit(request: web.Request, ref: ProjectRef, received: _Received) -> StoredUpload:
    """Move a received file into the project's storage (not yet into a dataset)."""
    with received.writer as writer:
        return await run_blocking(
            _store(request).store_upload, ref, writer, received.filename, received.mime_type
        )


async def _store_part(request: web.Request, ref: ProjectRef, part: BodyPartReader) -> StoredUpload:
    """Stream one file part into the project's storage (not yet into a dataset)."""
    return await _commit(request, ref, await _receive_part(request, ref, part))


def _upload_response(result: UploadResult) -> UploadResponse:
    return UploadResponse(
        filename=result.filename,
        hash=result.hash,
        processed=result.processed,
        skipped=result.skipped,
        size=result.size,
        mime_type=result.mime_type,
    )


async def _check_dataset(request: web.Request, ref: ProjectRef, dataset: str) -> None:
    project = await run_blocking(request.app[PROJECTS].get, ref)
    find_dataset(project, dataset)


@router.post(
    ONE + "/data",
    body=UploadForm,
    response=UploadResponse,
    responses={413: "file larger than the upload limit"},
    body_content_type="multipart/form-data",
)
async def upload_file(request: web.Request) -> UploadResponse:
    """Upload one file (multipart field `file`); the same content again answers skipped."""
    ref, dataset = project_ref(request), request.match_info["dataset"]
    await _check_dataset(request, ref, dataset)
    limit = request.app[SETTINGS].max_upload_bytes
    if request.content_length is not None and request.content_length > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"file is larger than the upload limit of {limit} bytes")
    reader = await _multipart(request)
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == "file":
            stored = await _store_part(request, ref, part)
            (result,) = await run_blocking(_store(request).add_members, ref, dataset, [stored])
            return _upload_response(result)
    raise BadRequest("no file in the request: send it as multipart/form-data field 'file'")


# Non-file fields a bulk request may carry besides its files (more parts is a 413).
BULK_EXTRA_PARTS = 16


@router.post(
    ONE + "/data/bulk",
    body=BulkUploadForm,
    response=BulkUploadResponse,
    body_content_type="multipart/form-data",
)
async def upload_files(request: web.Request) -> BulkUploadResponse:
    """Upload several files (multipart field `files`, repeated); each succeeds or fails alone."""
    ref, dataset = project_ref(request), request.match_info["dataset"]
    await _check_dataset(request, ref, dataset)
    settings = request.app[SETTINGS]
    too_many_bytes = PayloadTooLarge(
        f"bulk upload larger than {settings.max_bulk_bytes} bytes (LF_MAX_BULK_BYTES); "
        "nothing was added: send the files in smaller batches"
    )
    if request.content_length is not None and request.content_length > settings.max_bulk_bytes:
        raise too_many_bytes
    reader = await _multipart(request)
    results: list[BulkFileResult] = []
    commits: list[tuple[int, asyncio.Task[StoredUpload]]] = []  # (position in results, commit)
    in_flight = asyncio.Semaphore(COMMITS_IN_FLIGHT)

    async def commit(received: _Received) -> StoredUpload:
        try:
            return await _commit(request, ref, received)
        finally:
            in_flight.release()

    parts = total_bytes = 0
    try:  # receive each file; commit it in the background (at most COMMITS_IN_FLIGHT at once)
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > settings.max_bulk_files + BULK_EXTRA_PARTS:
                raise PayloadTooLarge(
                    f"bulk upload with more than {settings.max_bulk_files} files (LF_MAX_BULK_FILES); "
                    "nothing was added: send the files in smaller batches"
                )
            if not isinstance(part, BodyPartReader) or part.name not in ("files", "file"):
                continue  # other fields are drained by reader.next()
            if len(results) >= settings.max_bulk_files:
                raise PayloadTooLarge(
                    f"bulk upload with more than {settings.max_bulk_files} files (LF_MAX_BULK_FILES); "
                    "nothing was added: send the files in smaller batches"
                )
            name = clean_filename(part.filename) if part.filename else None
            try:
                received = await _receive_part(request, ref, part)
            except LlamaFarmError as err:
                results.append(BulkFileResult(filename=name, status="failed", reason=err.message))
                continue
            total_bytes += received.writer.size
            if total_bytes > settings.max_bulk_bytes:
                await run_blocking(received.writer.abort)
                raise too_many_bytes
            await in_flight.acquire()
            commits.append((len(results), asyncio.create_task(commit(received))))
            results.append(BulkFileResult(filename=name, status="stored"))
    finally:  # also after a 413: no commit outlives the request
        await asyncio.gather(*(task for _, task in commits), return_exceptions=True)
    # Acknowledged below only after every commit (its fsyncs included) has ended.
    stored: list[tuple[int, StoredUpload]] = []  # (position in results, upload)
    for i, task in commits:
        try:
            stored.append((i, task.result()))
        except LlamaFarmError as err:
            results[i] = BulkFileResult(filename=results[i].filename, status="failed", reason=err.message)
    if stored:  # one config edit for the whole request
        try:
            added = await run_blocking(_store(request).add_members, ref, dataset, [up for _, up in stored])
        except LlamaFarmError as err:
            for i, _ in stored:
                results[i] = BulkFileResult(filename=results[i].filename, status="failed", reason=err.message)
        else:
            for (i, _), up in zip(stored, added, strict=True):
                results[i] = BulkFileResult(
                    filename=up.filename,
                    hash=up.hash,
                    status="skipped" if up.skipped else "uploaded",
                    processed=up.processed,
                    skipped=up.skipped,
                    size=up.size,
                )
    if not results:
        raise BadRequest("no files in the request: send them as multipart/form-data fields 'files'")
    return BulkUploadResponse(
        total=len(results),
        uploaded=sum(r.status == "uploaded" for r in results),
        skipped=sum(r.status == "skipped" for r in results),
        failed=sum(r.status == "failed" for r in results),
        files=results,
    )


@router.post(
    ONE + "/process",
    query=ProcessQuery,
    response=ProcessResponse,
    responses={503: "Redis unreachable (processing runs as jobs)"},
)
async def process_dataset(request: web.Request, query: ProcessQuery) -> ProcessResponse:
    """Process the dataset's files into its database; per-file results.

    Runs as jobs on the queue either way. ``async_processing=true`` answers at once with a
    ``task_id`` (poll ``GET …/tasks/{task_id}``); otherwise the request waits for the task.
    A dataset already being processed is not processed twice: the request joins (async: is
    given) the running task.
    """
    ref, dataset = project_ref(request), request.match_info["dataset"]
    jobs = request.app[JOBS]
    target = await run_blocking(processing_target, request.app[PROJECTS], ref, dataset)
    sub = await run_blocking(jobs.submit, ref.namespace, ref.name, dataset, target.files)
    if query.async_processing:
        view = await run_blocking(jobs.view, sub.record)
        message = (
            "Dataset processing already running; this is its task"
            if sub.existing
            else "Dataset processing started asynchronously"
        )
        details = [
            {"hash": d.hash, "filename": d.filename, "status": d.status.value}
            if not d.status.done
            else d.model_dump(mode="json")
            for d in view.details
        ]
    else:
        view = await run_long(request, jobs.wait, sub.record)
        message = (
            "Dataset processing completed" if not view.error else f"Dataset processing failed: {view.error}"
        )
        details = [d.model_dump(mode="json") for d in view.details]
    return ProcessResponse.model_validate(
        {
            "message": message,
            "processed_files": view.processed_files,
            "skipped_files": view.skipped_files,
            "failed_files": view.failed_files,
            "strategy": target.strategy,
            "database": target.database,
            "details": details,
            "task_id": view.task_id,
        }
    )


@router.delete(ONE + "/data/{file_hash}", query=RemoveFileQuery, response=FileRemoval)
async def remove_file(request: web.Request, query: RemoveFileQuery) -> FileRemoval:
    """Remove a file from a dataset and exactly its chunks from the database."""
    return await run_blocking(
        _store(request).remove_file,
        project_ref(request),
        request.match_info["dataset"],
        request.match_info["file_hash"],
        remove_from_disk=query.remove_from_disk,
    )
