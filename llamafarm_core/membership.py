"""Dataset membership (dataset → file hashes, in upload order), kept out of ``llamafarm.yaml``.

A project's datasets can hold 100,000 files; listing them in the YAML made every upload
rewrite the whole file and the first query after it re-parse it. Members live instead in
``projects/{ns}/{p}/members.sqlite`` (WAL: readers never wait for a writer; each change is one
transaction, so a bulk upload is one commit). The YAML keeps its shape (``datasets[].files``
is still accepted and still reported by the API): :class:`~llamafarm_core.projects.ProjectStore`
imports a YAML's ``files`` into the index once and merges the index back for the callers that
need members. The query and chat paths never read it.

``version`` counts committed changes; it is part of the project's ETag, so a PUT made from a
GET older than an upload is a 412 rather than a lost member.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

MEMBERS_FILE = "members.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    dataset TEXT NOT NULL,
    pos INTEGER NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (dataset, hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_order ON members (dataset, pos);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('version', 0);
"""


class MemberIndex:
    """The membership index of one project directory. Opens a connection per call (safe
    across threads and processes); the file is created on the first write."""

    def __init__(self, project_dir: Path) -> None:
        self.path = project_dir / MEMBERS_FILE

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as conn:
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def version(self) -> int:
        """How many changes were committed (0 with no index yet)."""
        if not self.path.exists():
            return 0
        with closing(self._connect()) as conn:
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            except sqlite3.OperationalError:  # created, schema not yet written
                return 0
        return int(row[0]) if row else 0

    def all(self) -> tuple[int, dict[str, list[str]]]:
        """(version, {dataset: hashes in order}) read in one snapshot."""
        if not self.path.exists():
            return 0, {}
        out: dict[str, list[str]] = {}
        with closing(self._connect()) as conn:
            conn.execute("BEGIN")
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                rows = conn.execute("SELECT dataset, hash FROM members ORDER BY dataset, pos").fetchall()
            except sqlite3.OperationalError:
                return 0, {}
            finally:
                conn.execute("COMMIT")
        for dataset, file_hash in rows:
            out.setdefault(dataset, []).append(file_hash)
        return (int(row[0]) if row else 0), out

    def add(self, dataset: str, hashes: Iterable[str]) -> list[bool]:
        """Append ``hashes`` to ``dataset`` in one transaction; for each, whether it was
        already a member (before, or earlier in this call)."""
        was: list[bool] = []
        with self._write() as conn:
            (top,) = conn.execute(
                "SELECT COALESCE(MAX(pos), -1) FROM members WHERE dataset = ?", (dataset,)
            ).fetchone()
            for file_hash in hashes:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO members (dataset, pos, hash) VALUES (?, ?, ?)",
                    (dataset, top + 1, file_hash),
                )
                added = cur.rowcount == 1
                top += added
                was.append(not added)
        return was

    def remove(self, dataset: str, file_hash: str) -> bool:
        """Take one file out of a dataset; False if it was not a member."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM members WHERE dataset = ? AND hash = ?", (dataset, file_hash))
            return cur.rowcount == 1

    def replace(self, datasets: Mapping[str, list[str]], drop: Iterable[str] = ()) -> None:
        """Set the members of each dataset in ``datasets`` (duplicates collapse, first
        position wins) and forget the datasets in ``drop``, in one transaction."""
        with self._write() as conn:
            for name in [*datasets, *drop]:
                conn.execute("DELETE FROM members WHERE dataset = ?", (name,))
            for name, hashes in datasets.items():
                conn.executemany(
                    "INSERT INTO members (dataset, pos, hash) VALUES (?, ?, ?)",
                    ((name, pos, h) for pos, h in enumerate(dict.fromkeys(hashes))),
                )
