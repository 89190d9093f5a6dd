"""BM25 from memory: a lexical index's postings held in numpy arrays.

FTS5 scores every chunk that holds any query term: at 100,000 chunks a query of common words
scores tens of thousands of rows (~40 ms). The same postings in memory, added up with numpy,
take ~1-2 ms and give the same scores to the last bit (FTS5's ``bm25()`` formula, its
``nRow``/``nToken`` statistics, the same operations in the same order) and the same order
(ties by rowid, as FTS5 returns them). ``LexicalIndex.search`` asks here first and falls back
to FTS5 whenever this says ``None``. With metadata filters it reads the ranking a window at a
time (:class:`Ranking`) and checks each window's chunks against the filters in SQL.

**Current or not used.** The index keeps a change counter (table ``changes``: a random
``born`` per file, ``n`` bumped by every write and ``removed`` by every write that removed
rows, in the write's own transaction). Postings are tagged with the counter they were read
at, inside one read transaction; a query reads the counter, the postings' answer and its
hits' texts inside one read transaction too, so it sees exactly one state. When rows were
only added since (same ``born`` and ``removed``: a worker writing new files), the query
reads the new rows, at most :data:`EXTEND_ROWS`, and adds them as a segment (new rowids are
above every held one, so slot order stays rowid order): a few ms, once per write. Otherwise
(rows removed, too many pieces, another file) FTS5 answers and the postings are read whole
again in a background thread (~1.7 s at 100,000 chunks).

**Bounded.** One read at a time in a process, and a read that took T waits 3T after the
previous one ended (at most a quarter of a core while a worker keeps writing). What a
process holds stays under ``LF_LEXICAL_MEMORY_MIB`` (default 512; 0 turns this off): the
least recently used index is dropped first. Held postings take 8 bytes each (~34 per chunk
of prose), reading them up to ~32 for a moment, and a read stops (FTS5 answers for that
index) when that would pass the bound: ~500,000 chunks of prose by default.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sqlite3
import threading
import time
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

K1 = 1.2  # FTS5's bm25() constants
B = 0.75
DEFAULT_MEMORY_MIB = 512
MAX_INDEXES = 64  # indexes a process keeps track of (their postings: within the bound)
EXTEND_ROWS = 5_000  # new chunks a query adds to held postings itself (more: read again)
MAX_SEGMENTS = 16  # pieces the postings may be in before they are read whole again
REBUILD_WAIT = 3.0  # × the last rebuild's duration, between the end of one and the next
READ_ROWS = 20_000  # rows tokenized and counted at a time while reading
_READ_BYTES_PER_POSTING = 32  # held: 8 (slot, frequency); the read's arrays and sort: ~32 at the end
_TOKENS = re.compile(r"[^\W_]+")  # FTS5's unicode61 tokens of the analyzer's terms

# Created by LexicalIndex's migration; ``n`` is bumped by every write, ``removed`` by every
# write that removed rows (see the module doc).
CHANGES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS changes (one INTEGER PRIMARY KEY CHECK (one = 1), "
    "born TEXT NOT NULL, n INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0)"
)


@dataclass(frozen=True)
class Tag:
    """An index's state: its file (``born``), writes so far, writes that removed rows."""

    born: str
    n: int
    removed: int


def create_changes(conn: sqlite3.Connection) -> None:
    """(inside the migration's transaction) The change counter, with a new ``born``."""
    conn.execute(CHANGES_SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(changes)")}
    if "removed" not in columns:  # schema 3 as first written, without it
        conn.execute("ALTER TABLE changes ADD COLUMN removed INTEGER NOT NULL DEFAULT 0")
    conn.execute("INSERT OR IGNORE INTO changes (one, born, n) VALUES (1, ?, 0)", (uuid.uuid4().hex,))


def bump_changes(conn: sqlite3.Connection, *, removed: bool) -> None:
    """(inside a write transaction) Mark the index changed; ``removed``: rows went."""
    conn.execute("UPDATE changes SET n = n + 1, removed = removed + ? WHERE one = 1", (int(removed),))


def read_tag(conn: sqlite3.Connection) -> Tag | None:
    row = conn.execute("SELECT born, n, removed FROM changes WHERE one = 1").fetchone()
    return Tag(str(row[0]), int(row[1]), int(row[2])) if row else None


def single_tokens(terms: Sequence[str]) -> bool:
    """Is every term one FTS5 token? ("wing_tip" is two: FTS5 matches it as a phrase, which
    postings of single terms cannot answer.)"""
    return all(_TOKENS.fullmatch(term) for term in terms)


def idf(rows: int, hits: int) -> float:
    """FTS5's idf: log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0.0 else 1e-6


@dataclass(frozen=True)
class Segment:
    """Postings of some chunks: per term (``vocab`` → ``offsets``), the slots of the chunks
    holding it (ascending) and how often."""

    vocab: dict[str, int]
    offsets: Any  # int64[len(vocab) + 1]
    slots: Any  # int32 per posting, by term, then slot
    freqs: Any  # int32 per posting

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.slots.nbytes + self.freqs.nbytes) + 100 * len(self.vocab)

    def part(self, term: str) -> tuple[Any, Any] | None:
        j = self.vocab.get(term)
        if j is None:
            return None
        lo, hi = int(self.offsets[j]), int(self.offsets[j + 1])
        return self.slots[lo:hi], self.freqs[lo:hi]


@dataclass(frozen=True)
class Postings:
    """One index's postings at ``tag``: segments over slots (chunks in rowid order; a
    segment added by :meth:`extended` holds the chunks written since)."""

    tag: Tag
    segments: tuple[Segment, ...]
    rowids: Any  # int64 per slot, ascending
    lengths: Any  # float64 per slot: its tokens (FTS5's D)
    tokens: int  # FTS5's nToken
    norms: Any  # float64 per slot: k1 * (1 - b + b * D / avgdl), as FTS5 computes it

    @property
    def rows(self) -> int:  # FTS5's nRow
        return len(self.rowids)

    @property
    def last_rowid(self) -> int:
        return int(self.rowids[-1]) if self.rows else 0

    @property
    def nbytes(self) -> int:
        per_slot = int(self.rowids.nbytes + self.lengths.nbytes + self.norms.nbytes)
        return per_slot + sum(segment.nbytes for segment in self.segments)

    def hits(self, term: str) -> int:
        return sum(len(part[0]) for segment in self.segments if (part := segment.part(term)) is not None)

    def top(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(rowid, BM25) of the best ``k`` chunks holding any of ``terms``, best first."""
        rowids, scores = self.ranked(terms).window(0, k)
        return list(zip(rowids.tolist(), scores.tolist(), strict=True))

    def ranked(self, terms: Sequence[str]) -> Ranking:
        """Every chunk holding any of ``terms``, ranked by BM25 (read in windows)."""
        import numpy as np

        scores = self._scores(terms)
        return Ranking(self.rowids, scores, int(np.count_nonzero(scores)))

    def among(self, terms: Sequence[str], rowids: Any, k: int) -> list[tuple[int, float]] | None:
        """Like :meth:`top`, among the chunks ``rowids`` (ascending) only; None when one of
        them is not here (they come from another state of the index)."""
        import numpy as np

        slots = np.searchsorted(self.rowids, rowids)
        if len(slots) and (int(slots[-1]) >= self.rows or not np.array_equal(self.rowids[slots], rowids)):
            return None
        scores = self._scores(terms)[slots]
        best, best_scores = Ranking(rowids, scores, int(np.count_nonzero(scores))).window(0, k)
        return list(zip(best.tolist(), best_scores.tolist(), strict=True))

    def _scores(self, terms: Sequence[str]) -> Any:
        import numpy as np

        rows = self.rows
        scores = np.zeros(rows, dtype=np.float64)
        for term in terms:  # in query order: FTS5 adds the phrases' parts in that order
            parts = [part for segment in self.segments if (part := segment.part(term)) is not None]
            weight = idf(rows, sum(len(slots) for slots, _ in parts))
            for slots, counts in parts:  # disjoint slots: one addition per chunk and term
                freqs = counts.astype(np.float64)
                scores[slots] += weight * ((freqs * (K1 + 1.0)) / (freqs + self.norms[slots]))
        return scores

    def extended(self, conn: sqlite3.Connection, tag: Tag) -> Postings | None:
        """These postings plus the chunks written since, read inside the caller's read
        transaction (at ``tag``). Only valid when no row was removed since (the same
        ``born`` and ``removed``): then every new chunk has a rowid above the last one
        here. None when more than :data:`EXTEND_ROWS` were written or FTS5's counts
        disagree."""
        import numpy as np

        new = conn.execute(
            "SELECT rowid, terms FROM fts WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (self.last_rowid, EXTEND_ROWS + 1),
        ).fetchall()
        if len(new) > EXTEND_ROWS:
            return None
        segment, rowids, lengths = _segment([new], self.rows, None)
        n_rows, n_tokens = fts_counts(conn)
        if n_rows != self.rows + len(rowids) or n_tokens != self.tokens + sum(lengths):
            return None
        all_lengths = np.concatenate(
            [self.lengths, np.frombuffer(lengths, dtype=np.int64).astype(np.float64)]
        )
        return Postings(
            tag=tag,
            segments=(*self.segments, segment),
            rowids=np.concatenate([self.rowids, np.frombuffer(rowids, dtype=np.int64)]),
            lengths=all_lengths,
            tokens=n_tokens,
            norms=_norms(all_lengths, n_tokens),
        )


@dataclass(frozen=True)
class Ranking:
    """One query's BM25 over every slot (0 where no query term occurs), read best first
    (ties by rowid, as FTS5 orders them) a window at a time: a window costs a partition of
    the scores and a sort of the chunks up to its end, never a sort of every match."""

    rowids: Any  # int64 per slot
    scores: Any  # float64 per slot
    matching: int  # slots with a score

    def window(self, start: int, end: int) -> tuple[Any, Any]:
        """(rowids, BM25s) of the chunks ranked ``start`` to ``end`` (exclusive), best first."""
        import numpy as np

        end = min(end, self.matching)
        if start >= end:
            return self.rowids[:0], self.scores[:0]
        scores, rows = self.scores, len(self.scores)
        if end < self.matching:  # the best ``end`` (with ties at the last score) unsorted
            kth = np.partition(scores, rows - end)[rows - end]
            head = np.flatnonzero(scores >= kth)
        else:
            head = np.flatnonzero(scores)
        slots = head[np.lexsort((head, -scores[head]))][start:end]
        return self.rowids[slots], scores[slots]


def _norms(lengths: Any, tokens: int) -> Any:
    avgdl = float(tokens) / float(len(lengths)) if len(lengths) else 1.0
    return K1 * (1 - B + B * lengths / avgdl)


def memory_limit() -> int:
    """Bytes of postings a process may hold: ``LF_LEXICAL_MEMORY_MIB`` (a whole number; 0:
    none; ``serve`` refuses anything else at start, see ``Settings``), else the default."""
    raw = os.environ.get("LF_LEXICAL_MEMORY_MIB", "").strip()
    return (int(raw) if raw.isdigit() else DEFAULT_MEMORY_MIB) * 1024 * 1024


class TooBig(Exception):
    pass


def read_postings(conn: sqlite3.Connection, limit: int) -> Postings | None:
    """Every posting of the index behind ``conn``, in one read transaction. None when the
    index has no change counter yet or this tokenizing disagrees with FTS5's counts; TooBig
    when reading them would take more than ``limit`` bytes."""
    import numpy as np

    conn.execute("BEGIN")
    try:
        tag = read_tag(conn)
        if tag is None:
            return None
        n_rows, n_tokens = fts_counts(conn)
        cursor = conn.execute("SELECT rowid, terms FROM fts ORDER BY rowid")
        batches = iter(lambda: cursor.fetchmany(READ_ROWS), [])
        segment, rowids, lengths = _segment(batches, 0, limit // _READ_BYTES_PER_POSTING)
    finally:
        conn.execute("COMMIT")
    if n_rows != len(rowids) or n_tokens != sum(lengths):
        log.warning("lexical index: FTS5's counts differ from the postings read; FTS5 answers")
        return None
    all_lengths = np.frombuffer(lengths, dtype=np.int64).astype(np.float64)
    return Postings(
        tag=tag,
        segments=(segment,),
        rowids=np.frombuffer(rowids, dtype=np.int64).copy(),
        lengths=all_lengths,
        tokens=n_tokens,
        norms=_norms(all_lengths, n_tokens),
    )


def _segment(
    batches: Iterable[list[tuple[int, str]]], first: int, cap: int | None
) -> tuple[Segment, array[int], array[int]]:
    """The postings of the (rowid, terms) rows in ``batches``, as slots from ``first`` on;
    also their rowids and token counts. TooBig past ``cap`` postings.

    Per batch (:data:`READ_ROWS` rows when reading whole), the tokens become term ids in one
    Python pass and numpy counts each (chunk, term) pair, so the GIL is held ~3x less than
    with a counter per row (0.7 against 2.2 s at 100,000 chunks)."""
    import numpy as np

    vocab: dict[str, int] = {}
    intern = vocab.setdefault
    parts: list[tuple[Any, Any, Any]] = []  # (term, slot, frequency) per chunk of rows
    rowids, lengths = array("q"), array("q")
    postings = 0
    for rows in batches:
        ids, sizes = array("i"), array("q")
        for rowid, text in rows:
            tokens = text.split() if "_" not in text else _TOKENS.findall(text)
            rowids.append(rowid)
            sizes.append(len(tokens))
            ids.extend([intern(t, len(vocab)) for t in tokens])
        lengths.extend(sizes)
        start = first + len(rowids) - len(rows)
        slot = np.repeat(
            np.arange(start, start + len(rows), dtype=np.int64), np.frombuffer(sizes, dtype=np.int64)
        )
        pairs, counts = np.unique((slot << 32) | np.frombuffer(ids, dtype=np.int32), return_counts=True)
        parts.append(
            (
                (pairs & 0xFFFFFFFF).astype(np.int32),
                (pairs >> 32).astype(np.int32),
                counts.astype(np.int32),
            )
        )
        postings += len(pairs)
        if cap is not None and postings > cap:
            raise TooBig
    empty = np.zeros(0, dtype=np.int32)
    terms = np.concatenate([t for t, _, _ in parts] or [empty])
    order = np.argsort(terms, kind="stable")  # by term; slots stay ascending within one
    offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=len(vocab)), out=offsets[1:])
    segment = Segment(
        vocab=vocab,
        offsets=offsets,
        slots=np.concatenate([s for _, s, _ in parts] or [empty])[order],
        freqs=np.concatenate([f for _, _, f in parts] or [empty])[order],
    )
    return segment, rowids, lengths


def fts_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """FTS5's nRow and nToken (its averages record), as its bm25() reads them."""
    stats = conn.execute("SELECT block FROM fts_data WHERE id = 1").fetchone()
    return _averages(stats[0]) if stats else (0, 0)


def _averages(block: bytes) -> tuple[int, int]:
    """FTS5's averages record: nRow, then the tokens of its one column (SQLite varints)."""
    values, i = [], 0
    for _ in range(2):
        value = 0
        for j in range(9):
            byte = block[i]
            i += 1
            if j == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values[0], values[1]


class _Held:
    """One index's snapshot and rebuild bookkeeping."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.postings: Postings | None = None
        self.building = False
        self.next_build = 0.0  # monotonic time before which no rebuild starts
        self.too_big_rows: int | None = None  # the build stopped at the bound at this size


class Memory:
    """The postings a process holds, by index path (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._pid = os.getpid()

    def current(self, path: Path, conn: sqlite3.Connection) -> Postings | None:
        """The postings of ``path`` at the state ``conn``'s read transaction sees, or None
        (FTS5 answers; a read starts in the background when one may). Held postings read
        at an earlier state are extended in this thread when rows were only added since,
        at most :data:`EXTEND_ROWS` of them (a worker's write of a few files: a few ms)."""
        tag = read_tag(conn)
        if tag is None or memory_limit() == 0:
            return None
        with self._lock:
            held = self._entry(path)
            postings = held.postings
            if postings is not None and postings.tag == tag:
                self._held.move_to_end(str(path))
                return postings
        if postings is not None and (extended := self._extend(held, postings, conn, tag)) is not None:
            return extended
        with self._lock:
            if held.building or time.monotonic() < held.next_build:
                return None
            if any(h.building for h in self._held.values()):
                return None  # one read at a time in a process; this one's turn comes later
            held.building = True
        # numpy imported here, not first in the thread: code that peeks at sys.modules (pytest's
        # approx does) would otherwise see a half-initialized module
        import numpy  # noqa: F401

        threading.Thread(target=self._build, args=(held,), name="lf-bm25-build", daemon=True).start()
        return None

    def _extend(self, held: _Held, postings: Postings, conn: sqlite3.Connection, tag: Tag) -> Postings | None:
        old = postings.tag
        if (old.born, old.removed) != (tag.born, tag.removed) or len(postings.segments) >= MAX_SEGMENTS:
            return None  # rows went (or too many pieces): read whole again
        extended = postings.extended(conn, tag)
        if extended is not None:
            with self._lock:
                if held.postings is postings and self._held.get(str(held.path)) is held:
                    held.postings = extended
                    self._evict(memory_limit())
        return extended

    def build_now(self, path: Path) -> Postings | None:
        """Read ``path``'s postings in this thread (tests, benchmarks)."""
        with self._lock:
            held = self._entry(path)
            held.building = True
        self._build(held)
        return held.postings

    def forget(self) -> None:
        with self._lock:
            self._held.clear()

    def _entry(self, path: Path) -> _Held:
        if self._pid != os.getpid():  # a forked child: nothing of the parent's is current
            self._held.clear()
            self._pid = os.getpid()
        key = str(path)
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = _Held(path)
            excess = len(self._held) - MAX_INDEXES
            if excess > 0:  # the least recently used first
                for old in [k for k, h in self._held.items() if not h.building and h is not held][:excess]:
                    del self._held[old]
        return held

    def _build(self, held: _Held) -> None:
        start = time.monotonic()
        limit = memory_limit()
        postings: Postings | None = None
        try:
            with closing(sqlite3.connect(held.path, timeout=60, isolation_level=None)) as conn:
                rows = int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])
                if held.too_big_rows is None or rows < held.too_big_rows:
                    postings = read_postings(conn, limit)
                    held.too_big_rows = None
        except TooBig:
            held.too_big_rows = rows
            log.info("lexical index %s: postings over LF_LEXICAL_MEMORY_MIB; FTS5 answers", held.path)
        except Exception as err:  # a deleted or damaged index: FTS5 answers (and reports)
            log.debug("lexical index %s: postings not read: %s", held.path, err)
        took = time.monotonic() - start
        with self._lock:
            held.building = False
            held.next_build = time.monotonic() + REBUILD_WAIT * took
            if postings is not None and self._held.get(str(held.path)) is held:  # not forgotten meanwhile
                held.postings = postings
                self._held.move_to_end(str(held.path))
                self._evict(limit)

    def _evict(self, limit: int) -> None:
        """Drop the least recently used snapshots until the total fits ``limit``."""
        total = sum(h.postings.nbytes for h in self._held.values() if h.postings is not None)
        for held in list(self._held.values()):
            if total <= limit:
                break
            if held.postings is not None:
                total -= held.postings.nbytes
                held.postings = None


_memory = Memory()


def memory() -> Memory:
    """The process's postings (one per process)."""
    return _memory
