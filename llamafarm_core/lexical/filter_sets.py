"""The chunks a metadata filter keeps, remembered while the index is unchanged.

A filter that keeps few chunks (one file of 100,000: 20 chunks) is the case the best-first
checks in :func:`llamafarm_core.lexical.index._filtered` and
``RetrievalContext._nearest_then_filtered`` give up on: they would check most of the index
to find ``top_k``. Then FTS5 scores every chunk holding a query term (~67 ms at 100,000
chunks) and embedded Chroma runs its filtered query (~135 ms). Instead the index is read once
for the chunks the filter keeps (one SQL scan of the metadata: ~40-170 ms at 100,000 chunks),
and that set is remembered: BM25 is then the postings' scores at those chunks and the vector
side an exact search among their vectors (``llamafarm_core.retrieval.exact``), a few ms each
for the next queries with the same filter (a chat about one document asks many).

**Current or not used**, as the postings are (:mod:`llamafarm_core.lexical.memory`): a set
is tagged with the index's change counter, read in the same read transaction as the scan.
When rows were only added since (the same ``born`` and ``removed``), the new rows alone are
scanned (by rowid, above every row scanned before) and the set extended; when rows went, the
set is scanned again. A filter that keeps more than :data:`SMALL` chunks is remembered as
"many" (nothing held), so its next queries skip the scan and the callers search as before.
A thread that needs a set another thread is scanning for waits for that scan (hybrid search
asks from both its sides at once).

**Bounded**: at most :data:`MAX_SETS` sets of at most :data:`SMALL` chunks per process
(~0.5 MB each), least recently used dropped first.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llamafarm_core.lexical.filter_sql import filters_sql
from llamafarm_core.lexical.memory import Tag, fts_counts, read_tag
from llamafarm_core.vectors import FilterCondition

SMALL = 2048  # chunks a remembered set holds at most (more: remembered as "many")
MAX_SETS = 32  # sets a process remembers
SCAN_WAIT = 10.0  # seconds a thread waits for another's scan of the same set before its own


@dataclass(frozen=True)
class FilterSet:
    """The chunks of one index matching one filter, at ``tag``: every row up to
    ``last_rowid`` was checked; the index held ``rows`` chunks. ``rowids`` (ascending) and
    ``chunk_ids`` (in the same order) are None when more than :data:`SMALL` match."""

    key: str
    tag: Tag
    rows: int
    last_rowid: int
    rowids: Any | None  # int64 numpy array
    chunk_ids: tuple[str, ...] | None

    @property
    def many(self) -> bool:
        return self.rowids is None


def filter_key(filters: Sequence[FilterCondition]) -> str:
    """One text per filter, whatever the order of its (ANDed) conditions."""
    parts = sorted(json.dumps([c.key, c.op.value, c.value], default=str) for c in filters)
    return "[" + ",".join(parts) + "]"


class FilterSets:
    """The sets a process remembers, by index path and filter (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: OrderedDict[tuple[str, str], FilterSet] = OrderedDict()
        self._scanning: dict[tuple[str, str], threading.Event] = {}
        self._pid = os.getpid()

    def knows(self, path: Path, filters: Sequence[FilterCondition]) -> bool:
        """Is a set for ``filters`` remembered at any state? (No: :meth:`held` would say
        None; a caller may skip reading the index's state.)"""
        with self._lock:
            return (str(path), filter_key(filters)) in self._sets and self._pid == os.getpid()

    def held(
        self, path: Path, filters: Sequence[FilterCondition], conn: sqlite3.Connection
    ) -> FilterSet | None:
        """The remembered set for ``filters`` at the state ``conn``'s read transaction sees
        (extended by the rows added since when only rows were added), or None when there is
        none: nothing is scanned whole here."""
        key = (str(path), filter_key(filters))
        with self._lock:
            if self._pid != os.getpid():  # a forked child: nothing of the parent's is current
                self._sets.clear()
                self._pid = os.getpid()
            known = self._sets.get(key)
            if known is not None:
                self._sets.move_to_end(key)
        if known is None:
            return None  # (the index's state not read: every filtered BM25 query asks here)
        tag = read_tag(conn)
        if tag is None or (known.tag.born, known.tag.removed) != (tag.born, tag.removed):
            return None
        if known.tag == tag:
            return known
        if known.tag.n > tag.n:  # remembered by a query that saw a later state than this one
            return None
        return self._keep(key, _scan(conn, filters, known, tag))

    def get(
        self, path: Path, filters: Sequence[FilterCondition], conn: sqlite3.Connection
    ) -> FilterSet | None:
        """Like :meth:`held`, scanning the index for the set when none is remembered; None
        only when the index has no change counter (an index from before it)."""
        found = self.held(path, filters, conn)
        if found is not None:
            return found
        key = (str(path), filter_key(filters))
        with self._lock:
            other = self._scanning.get(key)
            if other is None:
                mine = self._scanning[key] = threading.Event()
        if other is not None:  # another thread scans for it (hybrid's two sides): wait for that
            other.wait(SCAN_WAIT)
            found = self.held(path, filters, conn)
            if found is not None:
                return found
            mine = threading.Event()  # (it failed, or saw another state of the index)
        try:
            tag = read_tag(conn)
            return None if tag is None else self._keep(key, _scan(conn, filters, None, tag))
        finally:
            with self._lock:
                if self._scanning.get(key) is mine:
                    del self._scanning[key]
            mine.set()

    def forget(self) -> None:
        with self._lock:
            self._sets.clear()

    def _keep(self, key: tuple[str, str], found: FilterSet) -> FilterSet:
        """Remember ``found`` unless a set of a later state of the same file is remembered."""
        with self._lock:
            known = self._sets.get(key)
            if known is None or known.tag.born != found.tag.born or known.tag.n <= found.tag.n:
                self._sets[key] = found
            self._sets.move_to_end(key)
            while len(self._sets) > MAX_SETS:
                self._sets.popitem(last=False)
        return found


def _scan(
    conn: sqlite3.Connection, filters: Sequence[FilterCondition], known: FilterSet | None, tag: Tag
) -> FilterSet:
    """``known`` extended by the rows after its ``last_rowid`` (all rows when None)."""
    import numpy as np

    key = filter_key(filters)
    rows = fts_counts(conn)[0]  # FTS5's row count: one read (count(*) walks an index: ~8 ms at 100,000)
    last = int(conn.execute("SELECT coalesce(max(id), 0) FROM docs").fetchone()[0])
    if known is not None and known.many:
        return FilterSet(key, tag, rows, last, None, None)
    after = known.last_rowid if known is not None else 0
    held = len(known.chunk_ids or ()) if known is not None else 0
    where, params = filters_sql(filters)
    found = conn.execute(
        f"SELECT d.id, d.chunk_id FROM docs d WHERE d.id > ? AND d.id <= ?{where} ORDER BY d.id LIMIT ?",
        (after, last, *params, SMALL - held + 1),
    ).fetchall()
    if held + len(found) > SMALL:
        return FilterSet(key, tag, rows, last, None, None)
    rowids = np.array([r[0] for r in found], dtype=np.int64)
    chunk_ids = tuple(str(r[1]) for r in found)
    if known is not None and known.rowids is not None:
        rowids = np.concatenate([known.rowids, rowids])
        chunk_ids = (known.chunk_ids or ()) + chunk_ids
    return FilterSet(key, tag, rows, last, rowids, chunk_ids)


_sets = FilterSets()


def filter_sets() -> FilterSets:
    """The process's remembered sets (one per process)."""
    return _sets
