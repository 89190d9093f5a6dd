"""Datasets of a project: membership lives in the project's member index
(:mod:`llamafarm_core.membership`, reported as ``datasets[].files``), content in the
project's blob store, processing state per dataset.

Sharing rules (a file's chunks are keyed by its hash, so they are shared too):
- the same content is stored once per project, whatever the number of datasets holding it;
  its metadata record keeps the name it was first uploaded with;
- removing a file from a dataset removes its chunks from the dataset's database unless
  another dataset using the same database still holds it;
- a blob is deleted from disk only when no dataset references it any more (always on
  dataset deletion, on file removal with ``remove_from_disk``).
"""

from __future__ import annotations

from llamafarm_core.config.models import Dataset, LlamaFarmConfig, Rag
from llamafarm_core.databases import open_database, require_rag
from llamafarm_core.datasets.blobs import BlobStore, UploadWriter
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.datasets.models import (
    DatasetDeletion,
    DatasetView,
    FileDetail,
    FileRemoval,
    StoredUpload,
    StrategyNames,
    UploadResult,
)
from llamafarm_core.datasets.state import ProcessingStatus, StateStore
from llamafarm_core.errors import BadRequest, Conflict, NotFound
from llamafarm_core.names import check_file_hash, check_name
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.settings import Settings


def find_dataset(project: Project, name: str) -> Dataset:
    dataset = project.config.dataset(check_name(name, "dataset name"))
    if dataset is None:
        known = ", ".join(d.name for d in project.config.datasets) or "(none)"
        raise NotFound(
            f"dataset {name!r} not found in project {project.namespace}/{project.name}; known: {known}"
        )
    return dataset


def database_of(rag: Rag | None, dataset: Dataset) -> str | None:
    """The database a dataset writes to (its own, else the project's default)."""
    if rag is None:
        return None
    database = rag.database(dataset.database)
    return database.name if database else None


def holders(config: LlamaFarmConfig, file_hash: str, *, database: str | None = None) -> list[str]:
    """Datasets holding ``file_hash`` (only those writing to ``database`` when given)."""
    return [
        d.name
        for d in config.datasets
        if file_hash in d.files and (database is None or database_of(config.rag, d) == database)
    ]


class DatasetStore:
    """Create, list and delete datasets; add and remove their files."""

    def __init__(self, settings: Settings, projects: ProjectStore, registry: Registry) -> None:
        self.settings = settings
        self.projects = projects
        self.registry = registry

    def _blobs(self, project: Project) -> BlobStore:
        return BlobStore(ProjectLayout(project.path))

    def strategies(self, ref: ProjectRef) -> StrategyNames:
        rag = self.projects.get(ref).config.rag
        return StrategyNames(
            data_processing_strategies=[s.name for s in rag.data_processing_strategies] if rag else [],
            databases=[d.name for d in rag.databases] if rag else [],
        )

    def list_datasets(self, ref: ProjectRef, *, details: bool = True) -> list[DatasetView]:
        project = self.projects.get(ref)
        if not details:
            return [DatasetView(d) for d in project.config.datasets]
        blobs = self._blobs(project)
        layout = ProjectLayout(project.path)
        views = []
        for dataset in project.config.datasets:
            states = StateStore(layout, dataset.name).all()
            files = []
            for file_hash in dataset.files:
                record = blobs.record(file_hash) if _is_hash(file_hash) else None
                state = states.get(file_hash)
                files.append(
                    FileDetail(
                        hash=file_hash,
                        original_filename=record.original_filename if record else None,
                        size=record.size if record else 0,
                        timestamp=record.timestamp if record else None,
                        mime_type=record.mime_type if record else None,
                        stored=record is not None and blobs.exists(file_hash),
                        processed=state is not None and state.status == ProcessingStatus.PROCESSED,
                        status=(state.status if state else ProcessingStatus.PENDING).value,
                        chunks=state.chunk_count
                        if state and state.status == ProcessingStatus.PROCESSED
                        else 0,
                        reason=state.reason if state else None,
                    )
                )
            views.append(DatasetView(dataset, files))
        return views

    def create(
        self,
        ref: ProjectRef,
        name: str,
        strategy: str | None,
        database: str | None,
        description: str | None = None,
    ) -> Dataset:
        """Add a dataset. Unknown strategy/database → 400 naming the known ones; a
        duplicate name → 409."""
        check_name(name, "dataset name")
        with self.projects.edit(ref) as project:
            rag = require_rag(project)
            strategy = _pick(
                strategy, [s.name for s in rag.data_processing_strategies], "data_processing_strategy"
            )
            db_names = [d.name for d in rag.databases]
            database = _pick(database or rag.default_database, db_names, "database")
            if project.config.dataset(name) is not None:
                raise Conflict(f"dataset {name!r} already exists in project {ref.namespace}/{ref.name}")
            fields: dict[str, object] = {
                "name": name,
                "database": database,
                "data_processing_strategy": strategy,
                "files": [],
            }
            if description is not None:  # an explicit None would be written as `null`
                fields["description"] = description
            dataset = Dataset.model_validate(fields)
            project.config.datasets = [*project.config.datasets, dataset]
        return dataset

    def delete(self, ref: ProjectRef, name: str) -> DatasetDeletion:
        """Remove the dataset, its chunks (files no other dataset of the same database
        holds), its processing state, and blobs no dataset references any more."""
        with self.projects.edit(ref) as project:
            dataset = find_dataset(project, name)
            project.config.datasets = [d for d in project.config.datasets if d.name != name]
        project = self.projects.get(ref)
        db_name = database_of(project.config.rag, dataset)
        states = StateStore(ProjectLayout(project.path), name)
        # Only files this dataset ever processed can have chunks from it.
        processed = states.all()
        orphans = [
            h for h in dataset.files if h in processed and not holders(project.config, h, database=db_name)
        ]
        removed_chunks = 0
        if db_name is not None and orphans:
            try:
                handle = open_database(self.registry, project, db_name)
                removed_chunks = sum(handle.delete_files(orphans).values())
            except Exception:  # the chunks are still there: so is the dataset
                with self.projects.edit(ref) as restored:
                    if restored.config.dataset(name) is None:
                        restored.config.datasets = [*restored.config.datasets, dataset]
                raise
        states.remove_all()
        blobs = self._blobs(project)
        removed_files = [
            h for h in dataset.files if _is_hash(h) and not holders(project.config, h) and blobs.remove(h)
        ]
        return DatasetDeletion(dataset, removed_chunks, removed_files)

    def open_upload(self, ref: ProjectRef, dataset: str) -> UploadWriter:
        """A writer for one upload into ``dataset`` (checked first: 404 before any byte)."""
        find_dataset(self.projects.get(ref), dataset)
        return self.writer(ref)

    def writer(self, ref: ProjectRef) -> UploadWriter:
        """A writer for one upload into the project (no dataset check: see open_upload)."""
        return self._layout_blobs(ref).writer(self.settings.max_upload_bytes)

    def store_upload(
        self, ref: ProjectRef, writer: UploadWriter, filename: str, mime_type: str
    ) -> StoredUpload:
        """Move a finished upload into the project's storage (membership comes after)."""
        record, created = self._layout_blobs(ref).commit(writer, filename, mime_type)
        return StoredUpload(record, created, filename)

    def add_members(self, ref: ProjectRef, dataset: str, uploads: list[StoredUpload]) -> list[UploadResult]:
        """Add stored uploads to a dataset in ONE index transaction (a bulk upload is one
        commit, not one per file; the YAML is not rewritten). Content already in the
        dataset — before, or earlier in this list — is ``skipped``. If the dataset is gone,
        files stored for nothing are removed."""
        check_name(dataset, "dataset name")
        skipped = self.projects.add_members(ref, dataset, [up.record.hash for up in uploads])
        if skipped is None:
            project = self.projects.get(ref)
            blobs = self._layout_blobs(ref)
            for up in uploads:
                if up.created and not holders(project.config, up.record.hash):
                    blobs.remove(up.record.hash)
            find_dataset(project, dataset)  # the 404 naming the known datasets
            raise NotFound(f"dataset {dataset!r} not found in project {ref.namespace}/{ref.name}")
        states = StateStore(ProjectLayout(self.projects.project_dir(ref)), dataset)
        results = []
        for up, was_member in zip(uploads, skipped, strict=True):
            state = states.get(up.record.hash) if was_member else None
            results.append(
                UploadResult(
                    filename=up.filename,
                    hash=up.record.hash,
                    size=up.record.size,
                    mime_type=up.record.mime_type,
                    skipped=was_member,
                    processed=bool(state and state.status == ProcessingStatus.PROCESSED),
                    stored_new=up.created,
                )
            )
        return results

    def commit_upload(
        self, ref: ProjectRef, dataset: str, writer: UploadWriter, filename: str, mime_type: str
    ) -> UploadResult:
        """Store the finished upload and add it to the dataset.

        The same content already in the dataset answers ``skipped`` and stores nothing new.
        """
        return self.add_members(ref, dataset, [self.store_upload(ref, writer, filename, mime_type)])[0]

    def _layout_blobs(self, ref: ProjectRef) -> BlobStore:
        return BlobStore(ProjectLayout(self.projects.project_dir(ref)))

    def remove_file(
        self, ref: ProjectRef, dataset: str, file_hash: str, *, remove_from_disk: bool
    ) -> FileRemoval:
        """Take a file out of a dataset and its chunks out of the dataset's database."""
        check_file_hash(file_hash)
        check_name(dataset, "dataset name")
        was_member = self.projects.remove_member(ref, dataset, file_hash)
        project = self.projects.get(ref)
        ds = find_dataset(project, dataset)
        if not was_member:
            raise NotFound(f"file {file_hash} is not in dataset {dataset!r}")
        db_name = database_of(project.config.rag, ds)
        kept_for = holders(project.config, file_hash, database=db_name) if db_name else []
        states = StateStore(ProjectLayout(project.path), dataset)
        removed = 0
        # A file this dataset never processed has no chunks of its own in the database.
        if db_name is not None and not kept_for and states.get(file_hash) is not None:
            try:
                handle = open_database(self.registry, project, db_name)
                removed = handle.delete_files([file_hash]).get(file_hash, 0)
            except Exception:
                self._restore_member(ref, dataset, file_hash)
                raise
        states.delete(file_hash)
        on_disk = False
        if remove_from_disk and not holders(project.config, file_hash):
            on_disk = self._blobs(project).remove(file_hash)
        return FileRemoval(
            file_hash=file_hash,
            dataset=dataset,
            removed_chunks=removed,
            removed_from_disk=on_disk,
            kept_for=kept_for,
        )

    def _restore_member(self, ref: ProjectRef, dataset: str, file_hash: str) -> None:
        """Undo a membership removal whose chunk deletion failed (the chunks are still there)."""
        self.projects.add_members(ref, dataset, [file_hash])


def _is_hash(value: str) -> bool:
    try:
        check_file_hash(value)
    except BadRequest:
        return False
    return True


def _pick(value: str | None, known: list[str], what: str) -> str:
    """``value`` if it is known; the only option when none is given; else a 400."""
    listing = ", ".join(known) or "(none configured)"
    if value is None:
        if len(known) == 1:
            return known[0]
        raise BadRequest(f"{what} is required; choose one of: {listing}")
    if value not in known:
        raise BadRequest(f"{what} {value!r} is not in the project's config; known: {listing}")
    return value
