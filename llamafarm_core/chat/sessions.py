"""Chat sessions on disk: ``{project dir}/sessions/{dir}/history.json``, where ``dir`` is the
id when it is a plain name, else a hash of it (:func:`session_dir_name`); the file keeps the
id the client sent (``session_id``), so listings return it.

Beside it, ``sources.json`` maps the index of an assistant message to the sources (retrieved
chunks) of that answer, for display when a session is resumed. It is kept apart so the history
(what the model sees on the next turn) never holds retrieved context.

A session expires after ``Settings.session_ttl_seconds`` without a chat turn (its file's
modification time is the last activity). Writes are atomic; turns on one session are
serialised by :meth:`SessionStore.locked` (a per-session lock of this process: chats run
in the server process only).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llamafarm_core.errors import BadRequest, NotFound
from llamafarm_core.fsutil import atomic_write_json, read_json
from llamafarm_core.llm.types import ChatMessage, Role
from llamafarm_core.names import NAME_PATTERN
from llamafarm_core.settings import Settings

SESSIONS_DIR = "sessions"
HISTORY_FILE = "history.json"
SOURCES_FILE = "sources.json"
SWEEP_INTERVAL = 60.0
TITLE_CHARS = 60


def new_session_id() -> str:
    return str(uuid.uuid4())


MAX_SESSION_ID = 128
_PLAIN_ID = re.compile(NAME_PATTERN)


def check_session_id(value: str) -> str:
    """What clients send as ``X-Session-ID``: 1–128 printable ASCII characters (UUIDs, dotted
    and colon ids, ...). It is never joined to a path as is: see :func:`session_dir_name`."""
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_SESSION_ID
        or not all(" " <= c <= "~" for c in value)
    ):
        shown = repr(value)[:80]
        raise BadRequest(f"invalid session id {shown}: must be 1-{MAX_SESSION_ID} printable ASCII characters")
    return value


def session_dir_name(session_id: str) -> str:
    """The directory of a session: the id itself when it is a plain name (so existing sessions
    keep their place), else ``h-`` and the sha256 of the id (no path tricks, no odd bytes)."""
    check_session_id(session_id)
    if _PLAIN_ID.fullmatch(session_id):
        return session_id
    return "h-" + hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class Session:
    id: str
    messages: list[ChatMessage] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "messages": [m.to_dict() for m in self.messages],
        }


@dataclass(frozen=True)
class SessionSummary:
    """One line of a session listing: the client's id, times, size and a short title."""

    id: str
    created_at: float
    updated_at: float
    message_count: int
    title: str


def session_title(messages: list[ChatMessage]) -> str:
    """The first user message, on one line, cut to ``TITLE_CHARS`` characters ("" if none)."""
    for m in messages:
        if m.role is Role.USER and m.content.strip():
            text = " ".join(m.content.split())
            return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
    return ""


class _KeyedLocks:
    """One lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class SessionStore:
    """Load, extend and delete the sessions of projects (given by their directory)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.ttl = settings.session_ttl_seconds
        self.clock = clock
        self._locks = _KeyedLocks()
        self._swept: dict[Path, float] = {}

    def _root(self, project_dir: Path) -> Path:
        return project_dir / SESSIONS_DIR

    def _file(self, project_dir: Path, session_id: str) -> Path:
        return self._root(project_dir) / session_dir_name(session_id) / HISTORY_FILE

    @contextmanager
    def locked(self, project_dir: Path, session_id: str) -> Iterator[None]:
        """Hold the session for one turn (read history, generate, append)."""
        check_session_id(session_id)
        with self._locks.hold(f"{project_dir}\0{session_id}"):
            yield

    def _expired(self, path: Path) -> bool:
        try:
            return self.clock() - path.stat().st_mtime > self.ttl
        except FileNotFoundError:
            return True

    def load(self, project_dir: Path, session_id: str) -> Session | None:
        """The session, or None when it doesn't exist or has expired (then it is removed)."""
        path = self._file(project_dir, session_id)
        if not path.is_file():
            return None
        if self._expired(path):
            shutil.rmtree(path.parent, ignore_errors=True)
            return None
        data = read_json(path) or {}
        try:
            messages = [ChatMessage.from_dict(m) for m in data.get("messages", [])]
        except (KeyError, ValueError, TypeError):
            raise BadRequest(
                f"session {session_id}: its history file is damaged; delete the session"
            ) from None
        return Session(session_id, messages, data.get("created_at", 0.0), data.get("updated_at", 0.0))

    def get(self, project_dir: Path, session_id: str) -> Session:
        session = self.load(project_dir, session_id)
        if session is None:
            raise NotFound(f"session {session_id} not found (it may have expired)")
        return session

    def append(
        self,
        project_dir: Path,
        session_id: str,
        messages: list[ChatMessage],
        sources: list[dict[str, Any]] | None = None,
    ) -> Session:
        """Add messages to the session (created when new); resets its idle timer. ``sources``
        belong to the last message (the answer) and are kept in ``sources.json``."""
        session = self.load(project_dir, session_id) or Session(session_id, created_at=self.clock())
        session.messages.extend(messages)
        session.updated_at = self.clock()
        path = self._file(project_dir, session_id)
        if sources and session.messages:
            # Written first: sources of a message the history doesn't have yet are ignored.
            kept = self._read_sources(path.parent)
            kept[str(len(session.messages) - 1)] = sources
            atomic_write_json(path.parent / SOURCES_FILE, kept)
        atomic_write_json(path, session.to_json())
        self.sweep(project_dir)
        return session

    @staticmethod
    def _read_sources(session_dir: Path) -> dict[str, list[dict[str, Any]]]:
        try:
            data = read_json(session_dir / SOURCES_FILE)
        except ValueError:  # a damaged sources file loses the sources, never the session
            return {}
        return data if isinstance(data, dict) else {}

    def sources(self, project_dir: Path, session: Session) -> dict[int, list[dict[str, Any]]]:
        """The stored sources of the session's answers, by message index."""
        kept = self._read_sources(self._file(project_dir, session.id).parent)
        out: dict[int, list[dict[str, Any]]] = {}
        for key, value in kept.items():
            if key.isdigit() and int(key) < len(session.messages) and isinstance(value, list):
                out[int(key)] = [v for v in value if isinstance(v, dict)]
        return out

    def summaries(self, project_dir: Path, limit: int = 100) -> list[SessionSummary]:
        """The project's live sessions, most recently used first (at most ``limit``)."""
        root = self._root(project_dir)
        if not root.is_dir():
            return []
        found: list[tuple[float, Path]] = []
        for child in root.iterdir():
            history = child / HISTORY_FILE
            try:
                mtime = history.stat().st_mtime
            except (FileNotFoundError, NotADirectoryError):
                continue
            if self.clock() - mtime <= self.ttl:
                found.append((mtime, history))
        found.sort(key=lambda item: item[0], reverse=True)
        out: list[SessionSummary] = []
        for mtime, history in found:
            if len(out) >= limit:
                break
            try:
                data = read_json(history) or {}
                messages = [ChatMessage.from_dict(m) for m in data.get("messages", [])]
                session_id = check_session_id(data["session_id"])
            except (KeyError, ValueError, TypeError, BadRequest, OSError):
                continue  # damaged or vanished meanwhile: not listed (its own URL says why)
            out.append(
                SessionSummary(
                    session_id,
                    float(data.get("created_at") or mtime),
                    float(data.get("updated_at") or mtime),
                    len(messages),
                    session_title(messages),
                )
            )
        return out

    def delete(self, project_dir: Path, session_id: str) -> None:
        path = self._file(project_dir, session_id)
        if not path.is_file() or self._expired(path):
            shutil.rmtree(path.parent, ignore_errors=True)
            raise NotFound(f"session {session_id} not found")
        shutil.rmtree(path.parent)

    def delete_all(self, project_dir: Path) -> int:
        """Delete every live session of the project; returns how many there were."""
        root = self._root(project_dir)
        if not root.is_dir():
            return 0
        count = 0
        for child in root.iterdir():
            if child.is_dir():
                if not self._expired(child / HISTORY_FILE):
                    count += 1
                shutil.rmtree(child, ignore_errors=True)
        return count

    def sweep(self, project_dir: Path, force: bool = False) -> int:
        """Remove expired sessions (at most once a minute per project unless ``force``)."""
        now = self.clock()
        if not force and now - self._swept.get(project_dir, 0.0) < SWEEP_INTERVAL:
            return 0
        self._swept[project_dir] = now
        root = self._root(project_dir)
        removed = 0
        if root.is_dir():
            for child in root.iterdir():
                history = child / HISTORY_FILE
                # A directory without its file yet may be a session being written right now.
                if child.is_dir() and self._expired(history if history.exists() else child):
                    shutil.rmtree(child, ignore_errors=True)
                    removed += 1
        return removed
