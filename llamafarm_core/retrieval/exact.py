"""Exact nearest neighbours among the few chunks a filter keeps.

When a metadata filter keeps few chunks (a remembered set,
:mod:`llamafarm_core.lexical.filter_sets`), the vector side scores the query against each
of their vectors instead of asking the store for a filtered search (embedded Chroma: ~135 ms
for one file's 20 chunks at 100,000). The vectors are read from the store once and kept with
the filter (a chat about one document asks many questions under the same filter); a query
then costs one matrix product (2,048 chunks of 384 dimensions: ~0.3 ms). Scores are the
store's own for the same vectors (``llamafarm_core.retrieval.scoring``), and the search is
exact where the store's is approximate.

**Current or not used.** Kept vectors are valid while no row left the lexical index (its
change counter's ``born`` and ``removed``): a chunk's vector changes only when the chunk is
written again, and the index then removes and re-adds it. Chunks added since are read from
the store. Before a set is searched at a new state, the store's chunk count is compared with
the index's (both written in one block under one lock): when they differ (a store written
before it had a lexical index, a half-failed write), the store filters itself.

**Bounded**: at most :data:`MAX_BYTES` of vectors per process, least recently used dropped.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llamafarm_core.lexical.memory import Tag
from llamafarm_core.retrieval.scoring import metric_scores
from llamafarm_core.vectors import ScoredId

if TYPE_CHECKING:
    from llamafarm_core.components.store import VectorStore
    from llamafarm_core.lexical.filter_sets import FilterSet

MAX_BYTES = 64 * 1024 * 1024  # vectors a process keeps
MAX_INDEXES = 64  # indexes whose store count was checked, remembered


@dataclass
class _Kept:
    """One filter's vectors, valid while the index's ``born`` and ``removed`` stay."""

    born: str
    removed: int
    rows: dict[str, int] = field(default_factory=dict)  # chunk id → row of ``matrix``
    matrix: Any = None  # float32 (chunks, dimension)

    @property
    def nbytes(self) -> int:
        return 0 if self.matrix is None else int(self.matrix.nbytes) + 100 * len(self.rows)


class KeptVectors:
    """The vectors a process keeps, by lexical index path and filter (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, str], _Kept] = OrderedDict()
        self._counted: dict[str, tuple[Tag, bool]] = {}  # by index path: did the counts match, at
        self._pid = os.getpid()

    def nearest(
        self, store: VectorStore, metric: str, query: Any, found: FilterSet, path: Path, top_k: int
    ) -> list[ScoredId] | None:
        """The ``top_k`` of ``found``'s chunks nearest ``query`` under ``metric``, best first
        (ties by id); None when the store can't give their vectors or holds other chunks
        than the index (it then filters itself)."""
        import numpy as np

        if found.chunk_ids is None:
            return None
        key = (str(path), found.key)
        with self._lock:
            if self._pid != os.getpid():  # a forked child: nothing of the parent's is current
                self._kept.clear()
                self._counted.clear()
                self._pid = os.getpid()
            kept = self._kept.get(key)
            if kept is None or (kept.born, kept.removed) != (found.tag.born, found.tag.removed):
                kept = _Kept(found.tag.born, found.tag.removed)
            self._kept[key] = kept
            self._kept.move_to_end(key)
        counted = self._counted.get(key[0])
        if counted is None or counted[0] != found.tag:  # once per state, for every filter
            counted = (found.tag, store.count() == found.rows)
            with self._lock:
                self._counted[key[0]] = counted
                while len(self._counted) > MAX_INDEXES:
                    del self._counted[next(iter(self._counted))]
        if not counted[1]:
            return None
        missing = [cid for cid in found.chunk_ids if cid not in kept.rows]
        if missing:
            got = store.vectors(missing)
            if got is None or len(got) < len(missing):
                return None  # not readable, or the index holds chunks the store lacks
            self._add(key, kept, missing, np.asarray([got[cid] for cid in missing], dtype=np.float32))
        if not found.chunk_ids:
            return []
        with self._lock:  # rows and matrix as one (another thread may be adding)
            matrix = kept.matrix[[kept.rows[cid] for cid in found.chunk_ids]]
        scores = metric_scores(metric, matrix, np.asarray(query, dtype=np.float32))
        order = np.lexsort((np.asarray(found.chunk_ids), -scores))[:top_k]
        return [ScoredId(found.chunk_ids[i], float(scores[i])) for i in order.tolist()]

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()
            self._counted.clear()

    def _add(self, key: tuple[str, str], kept: _Kept, ids: list[str], vectors: Any) -> None:
        import numpy as np

        with self._lock:
            start = 0 if kept.matrix is None else len(kept.matrix)
            kept.matrix = vectors if kept.matrix is None else np.concatenate([kept.matrix, vectors])
            kept.rows.update((cid, start + i) for i, cid in enumerate(ids))
            total = sum(k.nbytes for k in self._kept.values())
            for old_key in list(self._kept):
                if total <= MAX_BYTES or old_key == key:
                    break
                total -= self._kept.pop(old_key).nbytes


_kept = KeptVectors()


def kept_vectors() -> KeptVectors:
    """The process's kept vectors (one per process)."""
    return _kept
