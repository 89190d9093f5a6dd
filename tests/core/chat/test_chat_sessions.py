"""Sessions on disk: persistence, expiry, deletion, id validation, serialised turns."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from llamafarm_core.chat.sessions import HISTORY_FILE, SESSIONS_DIR, SessionStore
from llamafarm_core.errors import BadRequest, NotFound
from llamafarm_core.llm.types import ChatMessage, Role
from llamafarm_core.settings import Settings


def _msgs(*texts: str) -> list[ChatMessage]:
    return [ChatMessage(Role.USER if i % 2 == 0 else Role.ASSISTANT, t) for i, t in enumerate(texts)]


def _age(project: Path, session_id: str, seconds: float) -> None:
    """Make the session look idle for ``seconds`` (expiry reads the file's mtime)."""
    path = project / SESSIONS_DIR / session_id / HISTORY_FILE
    st = path.stat()
    os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


def test_append_persists_and_a_new_store_reads_it(settings: Settings, tmp_path: Path) -> None:
    store = SessionStore(settings)
    store.append(tmp_path, "s1", _msgs("hi", "hello"))
    store.append(tmp_path, "s1", _msgs("again", "sure"))
    reread = SessionStore(settings).get(tmp_path, "s1")
    assert [m.content for m in reread.messages] == ["hi", "hello", "again", "sure"]
    data = json.loads((tmp_path / "sessions" / "s1" / "history.json").read_text())
    assert data["session_id"] == "s1" and len(data["messages"]) == 4
    assert not [p for p in (tmp_path / "sessions" / "s1").iterdir() if p.name.startswith(".tmp")]


def test_sessions_expire_after_the_idle_ttl(data_dir: Path, tmp_path: Path) -> None:
    store = SessionStore(Settings(data_dir=data_dir, session_ttl_seconds=60))
    store.append(tmp_path, "old", _msgs("a"))
    store.append(tmp_path, "fresh", _msgs("b"))
    _age(tmp_path, "old", 61)
    assert store.load(tmp_path, "old") is None
    assert not (tmp_path / "sessions" / "old").exists()
    assert store.load(tmp_path, "fresh") is not None
    with pytest.raises(NotFound):
        store.get(tmp_path, "old")


def test_a_turn_resets_the_idle_timer(data_dir: Path, tmp_path: Path) -> None:
    store = SessionStore(Settings(data_dir=data_dir, session_ttl_seconds=60))
    store.append(tmp_path, "s", _msgs("a"))
    _age(tmp_path, "s", 50)
    store.append(tmp_path, "s", _msgs("b"))
    _age(tmp_path, "s", 50)
    assert [m.content for m in store.get(tmp_path, "s").messages] == ["a", "b"]


def test_sweep_removes_expired_sessions_of_the_project(data_dir: Path, tmp_path: Path) -> None:
    store = SessionStore(Settings(data_dir=data_dir, session_ttl_seconds=60))
    for sid in ("a", "b", "c"):
        store.append(tmp_path, sid, _msgs("x"))
    _age(tmp_path, "a", 100)
    _age(tmp_path, "b", 100)
    assert store.sweep(tmp_path, force=True) == 2
    assert sorted(p.name for p in (tmp_path / "sessions").iterdir()) == ["c"]


def test_delete_and_delete_all(settings: Settings, tmp_path: Path) -> None:
    store = SessionStore(settings)
    for sid in ("a", "b", "c"):
        store.append(tmp_path, sid, _msgs("x"))
    store.delete(tmp_path, "a")
    with pytest.raises(NotFound):
        store.delete(tmp_path, "a")
    assert store.delete_all(tmp_path) == 2
    assert store.delete_all(tmp_path) == 0
    assert store.load(tmp_path, "b") is None


@pytest.mark.parametrize("bad", ["", "x" * 129, "tab\there", "new\nline", "é"])
def test_bad_session_ids_are_refused_before_touching_a_path(
    settings: Settings, tmp_path: Path, bad: str
) -> None:
    store = SessionStore(settings)
    with pytest.raises(BadRequest, match="session id"):
        store.append(tmp_path, bad, _msgs("x"))
    with pytest.raises(BadRequest):
        store.load(tmp_path, bad)
    assert not (tmp_path / "sessions").exists()


@pytest.mark.parametrize("crafted", ["../etc", "a/b", ".hidden", "..", "x" * 128, "sp ace"])
def test_crafted_session_ids_stay_inside_the_sessions_directory(
    settings: Settings, tmp_path: Path, crafted: str
) -> None:
    store = SessionStore(settings)
    project = tmp_path / "project"
    store.append(project, crafted, _msgs("x"))
    [stored] = (project / "sessions").iterdir()
    assert stored.name.startswith("h-") and (stored / "history.json").is_file()
    assert [p.name for p in project.iterdir()] == ["sessions"]
    assert store.get(project, crafted).id == crafted


def test_turns_under_the_lock_are_serialised(settings: Settings, tmp_path: Path) -> None:
    store = SessionStore(settings)

    def turn(i: int) -> None:
        with store.locked(tmp_path, "s"):
            history = store.load(tmp_path, "s")
            n = len(history.messages) if history else 0
            store.append(tmp_path, "s", _msgs(f"q{n}", f"a{n}"))

    threads = [threading.Thread(target=turn, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    messages = store.get(tmp_path, "s").messages
    assert len(messages) == 40
    # Each turn saw the history its predecessors left: the counts go 0, 2, 4, ...
    assert [m.content for m in messages[::2]] == [f"q{2 * i}" for i in range(20)]


def test_a_damaged_history_file_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    store = SessionStore(settings)
    store.append(tmp_path, "s", _msgs("x"))
    (tmp_path / "sessions" / "s" / "history.json").write_text('{"messages": [{"role": "wizard"}]}')
    with pytest.raises(BadRequest, match="damaged"):
        store.load(tmp_path, "s")
