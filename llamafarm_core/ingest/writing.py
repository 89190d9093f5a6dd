"""The last step: chunk records into the vector store and the lexical index, with a
pending mark written ahead and each file's state record after.

Order per file: the state is first marked ``pending`` ("being written") with every id the
file may own (old and new), by :func:`mark_pending` (one journal for the group, see
:mod:`llamafarm_core.datasets.state`), before the database's write lock is taken (the run's
claim on the file already keeps other runs off it, so the lock need not cover these fsyncs:
two workers on one dataset wait less for each other). Then, under the lock,
:func:`write_items` upserts the new records, deletes the old ids the new run no longer
produces, and marks the state ``processed`` with exactly the new ids; then the journal goes.
A crash at any point leaves a record or a journal entry that names every chunk id to clean
up, and the next run does so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llamafarm_core.components.store import VectorStore
from llamafarm_core.databases import DatabaseHandle
from llamafarm_core.datasets.state import FileState, ProcessingStatus, StateStore
from llamafarm_core.ingest.embedding import describe
from llamafarm_core.ingest.prepare import PreparedFile
from llamafarm_core.vectors import ChunkRecord, chunk_id, flatten_metadata

STORE_BATCH = 1000  # records per store.add call (embedded Chroma caps a batch's size)
WRITING = "its chunks are being written (if this lasts, the write was interrupted: process it again)"


@dataclass
class WriteItem:
    """A file ready to store, with what it owned before."""

    prepared: PreparedFile
    vectors: list[list[float]]
    fingerprint: str
    previous: FileState | None

    @property
    def file_hash(self) -> str:
        return self.prepared.source.file_hash

    def chunk_ids(self) -> list[str]:
        """The ids of the file's new chunks, in order."""
        return [chunk_id(self.file_hash, i) for i in range(len(self.prepared.chunks))]

    def records(self) -> list[ChunkRecord]:
        return [
            ChunkRecord(id=cid, text=chunk.text, embedding=vector, metadata=flatten_metadata(chunk.metadata))
            for cid, chunk, vector in zip(self.chunk_ids(), self.prepared.chunks, self.vectors, strict=True)
        ]

    def stale_ids(self, new_ids: Sequence[str]) -> list[str]:
        old = self.previous.chunk_ids if self.previous else []
        keep = set(new_ids)
        return [i for i in old if i not in keep]


def mark_pending(database: str, states: StateStore, items: list[WriteItem]) -> Path:
    """Record, for each file, every chunk id it may own once written (old and new); call
    while holding the files' claims and before :func:`write_items`. Returns the journal to
    clear (``states.clear_pending``) once :func:`write_items` has returned."""
    return states.put_pending(
        [
            FileState(
                item.file_hash,
                ProcessingStatus.PENDING,
                item.fingerprint,
                database,
                chunk_ids=sorted(
                    {
                        *(item.previous.chunk_ids if item.previous else []),
                        *item.chunk_ids(),
                    }
                ),
                reason=WRITING,
            )
            for item in items
        ]
    )


def write_items(
    handle: DatabaseHandle,
    store: VectorStore,
    states: StateStore,
    items: list[WriteItem],
    embedder: str | None,
) -> dict[str, str]:
    """Write files marked by :func:`mark_pending` into an open store (the caller holds
    ``handle.writing()``).

    Tries the whole group at once; if that fails, file by file, so that one file's failure
    stays its own. Returns the reasons of the files that failed (their chunks removed).
    """
    records = {item.file_hash: item.records() for item in items}
    failed: dict[str, str] = {}
    try:
        _write(
            handle, store, [r for item in items for r in records[item.file_hash]], _all_stale(items, records)
        )
    except Exception:
        for item in items:
            try:
                _write(
                    handle,
                    store,
                    records[item.file_hash],
                    item.stale_ids([r.id for r in records[item.file_hash]]),
                )
            except Exception as err:
                failed[item.file_hash] = f"could not store its chunks: {describe(err)}"
                _remove_owned(handle, store, states, item, records[item.file_hash], failed[item.file_hash])
    states.put_many(
        [
            FileState(
                item.file_hash,
                ProcessingStatus.PROCESSED,
                item.fingerprint,
                handle.name,
                parser=item.prepared.parser,
                embedder=embedder,
                extractors=list(item.prepared.extractors),
                chunk_size=item.prepared.chunk_size,
                chunk_ids=[r.id for r in records[item.file_hash]],
                warnings=list(item.prepared.warnings),
            )
            for item in items
            if item.file_hash not in failed
        ]
    )
    return failed


def _all_stale(items: list[WriteItem], records: dict[str, list[ChunkRecord]]) -> list[str]:
    return [i for item in items for i in item.stale_ids([r.id for r in records[item.file_hash]])]


def _write(handle: DatabaseHandle, store: VectorStore, records: list[ChunkRecord], stale: list[str]) -> None:
    for start in range(0, len(records), STORE_BATCH):
        store.add(records[start : start + STORE_BATCH])
    handle.lexical.add(records)
    if stale:
        store.delete(stale)
        handle.lexical.delete(stale)


def _remove_owned(
    handle: DatabaseHandle,
    store: VectorStore,
    states: StateStore,
    item: WriteItem,
    records: list[ChunkRecord],
    reason: str,
) -> None:
    """After a failed write, leave nothing of the file behind (old chunks were overwritten
    in part, so they go too). If even that fails, the state keeps every id for next time."""
    ids = sorted({*(item.previous.chunk_ids if item.previous else []), *(r.id for r in records)})
    try:
        store.delete(ids)
        handle.lexical.delete(ids)
        ids = []
    except Exception:
        pass
    states.put(
        FileState(item.file_hash, ProcessingStatus.FAILED, None, handle.name, chunk_ids=ids, reason=reason)
    )
