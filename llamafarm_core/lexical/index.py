"""A persistent lexical (BM25) index per database: SQLite FTS5 beside the vector store.

It is updated when files are processed or removed (never rebuilt per query) and is safe to
use from several processes at once (SQLite locking, WAL journal, a generous busy timeout).

Texts go through :func:`llamafarm_core.lexical.analyzer.analyze` (English stopwords,
Snowball stemming) before FTS5 sees them; FTS5 ranks with BM25 (k1=1.2, b=0.75).

**Scores** are absolute, in [0, 1]: a chunk's BM25 divided by the best BM25 any chunk could
reach for the query, ``sum(idf(t) * (k1 + 1))`` over the query terms the index knows. So a
chunk with every query term once at average length scores about 0.45, and the same chunk
scores the same whatever else the query returned. Metadata filters (see
:mod:`llamafarm_core.retrieval.filters`) are SQL over the metadata JSON: inside FTS5's query,
or on the best-ranked chunks first when the postings are in memory (:func:`_filtered`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from llamafarm_core.lexical.analyzer import analyze, query_terms
from llamafarm_core.lexical.filter_sets import FilterSet, filter_sets
from llamafarm_core.lexical.filter_sql import FILENAME_SQL, filters_sql
from llamafarm_core.lexical.memory import (
    K1,
    Postings,
    bump_changes,
    create_changes,
    idf,
    memory,
    memory_limit,
    single_tokens,
)
from llamafarm_core.vectors import ChunkRecord, FilterCondition, SearchHit

FILTER_WINDOW = 8  # × top_k: the best-ranked chunks checked against filters first
FILTER_CHECKS = 4096  # ranked chunks checked against filters at most, then FTS5 answers
FILTER_SAMPLE = 256  # chunks checked first: filters that keep too few go to FTS5 at once
# 3: the change counter (llamafarm_core.lexical.memory); 4: its `removed`; 5: docs_filename
SCHEMA_VERSION = 5

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, "
    "file_hash TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS docs_file ON docs(file_hash)",
    # the metadata's filename (filter_sql.INDEXED_KEYS): a file found by name without a scan
    f"CREATE INDEX IF NOT EXISTS docs_filename ON docs({FILENAME_SQL})",
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(terms, tokenize='unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row')",
)


class LexicalIndex:
    """BM25 over chunk texts. ``path`` is a SQLite file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=60)) as conn:
            if not self._ready:
                self._migrate(conn)
                self._ready = True
            with conn:
                yield conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return  # the common case: no write lock taken just to read
        _wal(conn)
        with conn:
            conn.execute("BEGIN IMMEDIATE")  # one process creates/migrates, the others wait
            if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
                return
            for stmt in _SCHEMA:
                conn.execute(stmt)
            create_changes(conn)
            old = conn.execute("SELECT name FROM sqlite_master WHERE name = 'chunks'").fetchone()
            if old:  # version 1: one FTS table of (chunk_id, file_hash, text)
                rows = conn.execute("SELECT chunk_id, file_hash, text FROM chunks").fetchall()
                _insert(conn, [(cid, fh, text, {"file_hash": fh}) for cid, fh, text in rows])
                conn.execute("DROP TABLE chunks")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def add(self, records: Sequence[ChunkRecord]) -> None:
        """Insert or replace chunks by id (their text and metadata)."""
        if not records:
            return
        rows = [(r.id, str(r.metadata.get("file_hash", "")), r.text, r.metadata) for r in records]
        with self._db() as conn:
            removed = _delete_ids(conn, [r.id for r in records])
            _insert(conn, rows)
            bump_changes(conn, removed=removed > 0)

    def delete(self, ids: Sequence[str]) -> None:
        with self._db() as conn:
            removed = _delete_ids(conn, ids)
            bump_changes(conn, removed=removed > 0)

    def delete_file(self, file_hash: str) -> int:
        """Delete every chunk of a file; returns how many were deleted."""
        with self._db() as conn:
            ids = [r[0] for r in conn.execute("SELECT chunk_id FROM docs WHERE file_hash = ?", (file_hash,))]
            removed = _delete_ids(conn, ids)
            bump_changes(conn, removed=removed > 0)
            return removed

    def count(self) -> int:
        with self._db() as conn:
            return int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    def file_counts(self) -> dict[str, int]:
        """Chunks per file hash."""
        with self._db() as conn:
            rows = conn.execute("SELECT file_hash, count(*) FROM docs GROUP BY file_hash").fetchall()
        return {fh: int(n) for fh, n in rows}

    def search(
        self,
        query: str,
        top_k: int,
        filters: Sequence[FilterCondition] = (),
        allowed_ids: set[str] | None = None,
    ) -> list[SearchHit]:
        """Best ``top_k`` chunks by BM25 among those matching ``filters`` (and in
        ``allowed_ids`` when given). Scores as in the module doc. From the postings in
        memory when they are current and every query term is one FTS5 token
        (:mod:`llamafarm_core.lexical.memory`: the same hits and scores; filters checked on
        the best-ranked chunks first), else FTS5."""
        terms = query_terms(query)
        if not terms or top_k <= 0:
            return []
        with self._db() as conn:
            if allowed_ids is None and memory_limit() and single_tokens(terms):
                conn.execute("BEGIN")  # the counter, the postings and the texts from one state
                postings = memory().current(self.path, conn)
                if postings is not None:
                    best = (
                        _filtered(conn, self.path, postings, terms, top_k, filters)
                        if filters
                        else postings.top(terms, top_k)
                    )
                    if best is not None:
                        return _from_postings(conn, postings, terms, best)
            return _from_fts(conn, terms, top_k, filters, allowed_ids)

    def get(self, ids: Sequence[str]) -> dict[str, SearchHit]:
        """Stored chunks by id (score 1.0), as the vector store holds them (the same write
        block updates both); ids not here are left out. Queries read their few hits' texts
        and metadata here: cheaper than from embedded Chroma (RetrievalContext)."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        out: dict[str, SearchHit] = {}
        with self._db() as conn:
            for start in range(0, len(unique), 500):
                part = unique[start : start + 500]
                rows = conn.execute(
                    f"SELECT chunk_id, text, metadata FROM docs WHERE chunk_id IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
                for cid, text, meta in rows:
                    out[cid] = SearchHit(id=cid, text=text, score=1.0, metadata=json.loads(meta))
        return out

    def passing(self, ids: Sequence[str], filters: Sequence[FilterCondition]) -> set[str] | None:
        """Those of ``ids`` whose metadata matches ``filters``; None when any of ``ids`` is
        not here (the caller can't tell whether it would match)."""
        unique = list(dict.fromkeys(ids))
        with self._db() as conn:
            checked = _checked(conn, "chunk_id", unique, filters_sql(filters))
        if len(checked) < len(unique):
            return None
        return {chunk_id for chunk_id, ok in checked.items() if ok}

    def matching(self, filters: Sequence[FilterCondition], *, scan: bool) -> FilterSet | None:
        """The chunks ``filters`` keep (:mod:`llamafarm_core.lexical.filter_sets`), as
        remembered at the index's current state; with ``scan``, scanned for when none is
        remembered. None: none remembered (or an index without a change counter)."""
        if not scan and not filter_sets().knows(self.path, filters):
            return None  # (no connection opened for a filter never scanned for)
        with self._db() as conn:
            conn.execute("BEGIN")  # the change counter and the rows from one state
            sets = filter_sets()
            return sets.get(self.path, filters, conn) if scan else sets.held(self.path, filters, conn)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())


def _wal(conn: sqlite3.Connection, timeout: float = 60.0) -> None:
    """Switch to the WAL journal. SQLite may answer "database is locked" at once, without
    its busy timeout, while another process creates the same new index: retried."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def _hit(chunk_id: str, text: str, metadata: str, score: float, bound: float) -> SearchHit:
    return SearchHit(
        id=chunk_id,
        text=text,
        score=_clamp(score / bound) if bound > 0 else 0.0,
        metadata=json.loads(metadata),
    )


def _from_postings(
    conn: sqlite3.Connection, postings: Postings, terms: list[str], best: list[tuple[int, float]]
) -> list[SearchHit]:
    """Hits for ``best`` ((rowid, BM25) from the postings, best first)."""
    if not best:
        return []
    # summed in term order, as _score_bound's rows come from FTS5's vocabulary: the same bits
    bound = sum(idf(postings.rows, n) * (K1 + 1) for n in map(postings.hits, sorted(terms)) if n)
    marks = ",".join("?" * len(best))
    stored: dict[int, tuple[str, str, str]] = {
        rowid: (chunk_id, text, metadata)
        for rowid, chunk_id, text, metadata in conn.execute(
            f"SELECT id, chunk_id, text, metadata FROM docs WHERE id IN ({marks})", [r for r, _ in best]
        )
    }
    return [_hit(*stored[rowid], score, bound) for rowid, score in best if rowid in stored]


def _filtered(
    conn: sqlite3.Connection,
    path: Path,
    postings: Postings,
    terms: list[str],
    top_k: int,
    filters: Sequence[FilterCondition],
) -> list[tuple[int, float]] | None:
    """The best ``top_k`` (rowid, BM25) among the chunks matching ``filters``, FTS5's hits
    either way (the same chunks, scores and ties); None for FTS5 to answer.

    - A filter that keeps few chunks, remembered (:mod:`llamafarm_core.lexical.filter_sets`):
      the postings' scores at those chunks.
    - Else the ranked chunks are checked in SQL a window at a time, best first, until
      ``top_k`` pass (FTS5's filtered query checks every match), when an evenly spread sample
      of :data:`FILTER_SAMPLE` chunks says that takes fewer than :data:`FILTER_CHECKS` checks.
    - Else (the sample said no, or the checks ran out) the index is scanned for the chunks
      the filter keeps: few, and their scores are read as above (and the set remembered);
      more than ``filter_sets.SMALL``, and FTS5 answers.
    """
    sets = filter_sets()
    known = sets.held(path, filters, conn)
    if known is None or known.many:
        sql = filters_sql(filters)
        if _sample_passes(conn, postings, top_k, sql):
            best = _best_checked(conn, postings, terms, top_k, sql)
            if best is not None:
                return best
        if known is None:
            known = sets.get(path, filters, conn)
    if known is None or known.rowids is None:
        return None
    return postings.among(terms, known.rowids, top_k)


def _sample_passes(
    conn: sqlite3.Connection, postings: Postings, top_k: int, sql: tuple[str, list[Any]]
) -> bool:
    """Does an evenly spread sample expect ``top_k`` within half of :data:`FILTER_CHECKS`
    checks (and did it see a few pass)?"""
    sample = postings.rowids[:: max(1, postings.rows // FILTER_SAMPLE)].tolist()
    kept = sum(_checked(conn, "id", sample, sql).values())
    return kept >= 4 and kept * FILTER_CHECKS >= 2 * top_k * len(sample)


def _best_checked(
    conn: sqlite3.Connection, postings: Postings, terms: list[str], top_k: int, sql: tuple[str, list[Any]]
) -> list[tuple[int, float]] | None:
    """The ranked chunks checked against the filters ``sql`` a window at a time, best first,
    until ``top_k`` pass; None after :data:`FILTER_CHECKS` checks."""
    ranking = postings.ranked(terms)
    kept: list[tuple[int, float]] = []
    start, size = 0, max(top_k * FILTER_WINDOW, 64)
    while len(kept) < top_k and start < ranking.matching:
        if start >= FILTER_CHECKS:
            return None
        end = min(start + size, FILTER_CHECKS)
        rowids, scores = ranking.window(start, end)
        ids = rowids.tolist()
        ok = {rowid for rowid, passes in _checked(conn, "id", ids, sql).items() if passes}
        kept += [(r, s) for r, s in zip(ids, scores.tolist(), strict=True) if r in ok]
        start, size = end, size * 4
    return kept[:top_k]


def _checked(
    conn: sqlite3.Connection, column: str, keys: Sequence[Any], sql: tuple[str, list[Any]]
) -> dict[Any, bool]:
    """For each of ``keys`` (values of the ``docs`` column ``column``) that is stored,
    whether its metadata matches the filters ``sql`` (from :func:`filters_sql`)."""
    where, params = sql
    rows = conn.execute(
        f"SELECT d.{column}, CASE WHEN 1{where} THEN 1 ELSE 0 END FROM docs d "
        f"WHERE d.{column} IN (SELECT value FROM json_each(?))",
        (*params, json.dumps(list(keys))),
    )
    return {key: bool(ok) for key, ok in rows}


def _from_fts(
    conn: sqlite3.Connection,
    terms: list[str],
    top_k: int,
    filters: Sequence[FilterCondition],
    allowed_ids: set[str] | None,
) -> list[SearchHit]:
    match = " OR ".join(f'"{t}"' for t in terms)
    where, params = filters_sql(filters)
    limit = top_k if allowed_ids is None else max(top_k * 20, 200)
    if where:  # the filters read each match's metadata: join first, then rank
        sql = (
            "SELECT d.chunk_id, d.text, d.metadata, -bm25(fts) AS s FROM fts JOIN docs d ON d.id = fts.rowid "
            f"WHERE fts MATCH ? {where} ORDER BY s DESC LIMIT ?"
        )
    else:  # rank in the FTS table alone, then read texts for the best only (2.5 -> 1.1 ms)
        sql = (
            "SELECT d.chunk_id, d.text, d.metadata, t.s FROM (SELECT rowid, -bm25(fts) AS s FROM fts "
            "WHERE fts MATCH ? ORDER BY s DESC LIMIT ?) t JOIN docs d ON d.id = t.rowid ORDER BY t.s DESC"
        )
    bound = _score_bound(conn, terms)
    rows = conn.execute(sql, (match, *params, limit)).fetchall()
    if allowed_ids is not None:
        rows = [r for r in rows if r[0] in allowed_ids]
    return [_hit(cid, text, meta, s, bound) for cid, text, meta, s in rows[:top_k]]


def _insert(conn: sqlite3.Connection, rows: Sequence[tuple[str, str, str, dict[str, Any]]]) -> None:
    for chunk_id, file_hash, text, metadata in rows:
        cur = conn.execute(
            "INSERT INTO docs (chunk_id, file_hash, text, metadata) VALUES (?, ?, ?, ?)",
            (chunk_id, file_hash, text, json.dumps(metadata, default=str)),
        )
        conn.execute("INSERT INTO fts (rowid, terms) VALUES (?, ?)", (cur.lastrowid, " ".join(analyze(text))))


def _delete_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> int:
    """Delete these chunks; returns how many there were."""
    removed = 0
    for chunk_id in ids:
        row = conn.execute("SELECT id FROM docs WHERE chunk_id = ?", (chunk_id,)).fetchone()
        if row:
            conn.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
            conn.execute("DELETE FROM docs WHERE id = ?", (row[0],))
            removed += 1
    return removed


def _score_bound(conn: sqlite3.Connection, terms: Sequence[str]) -> float:
    """The highest BM25 a chunk could reach for these terms (FTS5's idf, tf -> infinity)."""
    total = int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])
    marks = ",".join("?" * len(terms))
    bound = 0.0
    for (hits,) in conn.execute(f"SELECT doc FROM fts_vocab WHERE term IN ({marks})", tuple(terms)):
        bound += idf(total, hits) * (K1 + 1)
    return bound
