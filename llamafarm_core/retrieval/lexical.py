"""A persistent lexical (BM25) index per database: SQLite FTS5 beside the vector store.

It is updated when files are processed or removed (never rebuilt per query), is safe to use
from several processes (SQLite's own locking), and gives scores in [0, 1].
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from llamafarm_core.vectors import ChunkRecord, SearchHit

_WORD = re.compile(r"[A-Za-z0-9]+")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it its
    of on or so such that the their then there these they this to was were what when where which while who why
    will with would you your""".split()
)


def query_terms(text: str) -> list[str]:
    """Lower-cased words of a query without stopwords, each at most once, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOPWORDS and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)


class LexicalIndex:
    """BM25 over chunk texts. ``path`` is a SQLite file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=60)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5("
                "chunk_id UNINDEXED, file_hash UNINDEXED, text, tokenize='porter unicode61')"
            )
            with conn:
                yield conn

    def add(self, records: Sequence[ChunkRecord]) -> None:
        """Insert or replace chunks by id."""
        if not records:
            return
        with self._db() as conn:
            conn.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(r.id,) for r in records])
            conn.executemany(
                "INSERT INTO chunks (chunk_id, file_hash, text) VALUES (?, ?, ?)",
                [(r.id, str(r.metadata.get("file_hash", "")), r.text) for r in records],
            )

    def delete(self, ids: Sequence[str]) -> None:
        with self._db() as conn:
            conn.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(i,) for i in ids])

    def delete_file(self, file_hash: str) -> int:
        with self._db() as conn:
            return conn.execute("DELETE FROM chunks WHERE file_hash = ?", (file_hash,)).rowcount

    def count(self) -> int:
        with self._db() as conn:
            return int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def search(self, query: str, top_k: int, allowed_ids: set[str] | None = None) -> list[SearchHit]:
        """Best ``top_k`` chunks by BM25; scores divided by the best one, so in (0, 1].

        ``allowed_ids`` restricts results (used to apply metadata filters resolved elsewhere).
        """
        terms = query_terms(query)
        if not terms or top_k <= 0:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        limit = top_k if allowed_ids is None else max(top_k * 20, 200)
        with self._db() as conn:
            rows = conn.execute(
                "SELECT chunk_id, text, file_hash, -bm25(chunks) AS s FROM chunks WHERE chunks MATCH ? "
                "ORDER BY s DESC LIMIT ?",
                (match, limit),
            ).fetchall()
        if allowed_ids is not None:
            rows = [r for r in rows if r[0] in allowed_ids]
        rows = rows[:top_k]
        if not rows:
            return []
        best = max(r[3] for r in rows) or 1.0
        return [
            SearchHit(id=r[0], text=r[1], score=max(0.0, min(1.0, r[3] / best)), metadata={"file_hash": r[2]})
            for r in rows
        ]
