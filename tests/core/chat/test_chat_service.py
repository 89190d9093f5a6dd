"""Chat turns with the real embedded model: prompts, the history rule, what gets stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from llamafarm_core.chat.rag import RagOptions
from llamafarm_core.chat.service import (
    ChatContext,
    ChatInput,
    TurnResult,
    complete_turn,
    merge_history,
    prepare_turn,
    stream_turn,
)
from llamafarm_core.chat.sessions import SessionStore
from llamafarm_core.errors import BadRequest, UpstreamError
from llamafarm_core.llm.types import ChatMessage, Role, StreamDelta
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings
from tests.core.chat.chat_projects import EMBEDDED

U, A, S = Role.USER, Role.ASSISTANT, Role.SYSTEM


def _m(role: Role, text: str) -> ChatMessage:
    return ChatMessage(role, text)


@pytest.fixture
def ctx_for(settings: Settings, registry: Registry) -> Callable[[Project], ChatContext]:
    sessions = SessionStore(settings)
    return lambda project: ChatContext(settings, registry, project, sessions)


def test_merge_history_appends_new_turns() -> None:
    history = [_m(U, "hi"), _m(A, "hello")]
    conversation, new = merge_history(history, [_m(U, "how are you?")])
    assert new == [_m(U, "how are you?")]
    assert conversation == [*history, *new]


def test_merge_history_does_not_duplicate_a_resent_conversation() -> None:
    history = [_m(U, "hi"), _m(A, "hello")]
    conversation, new = merge_history(history, [*history, _m(U, "next")])
    assert new == [_m(U, "next")]
    assert len(conversation) == 3


def test_merge_history_treats_a_partial_overlap_as_new() -> None:
    history = [_m(U, "hi"), _m(A, "hello")]
    _, new = merge_history(history, [_m(U, "hi")])
    assert new == [_m(U, "hi")]


def test_prompt_has_one_system_block_then_the_conversation(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(make_project())
    chat = ChatInput([_m(S, "Reply in French."), _m(U, "Hello")])
    prepared = prepare_turn(ctx, chat, [_m(U, "earlier"), _m(A, "answer")])
    messages = prepared.request.messages
    assert messages[0] == _m(S, "You answer briefly.\n\nReply in French.")
    assert messages[1:] == [_m(U, "earlier"), _m(A, "answer"), _m(U, "Hello")]
    assert prepared.new_messages == [_m(U, "Hello")]
    assert prepared.request.temperature == 0.0 and prepared.request.max_tokens == 8


def test_the_last_message_must_be_from_the_user(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(make_project())
    with pytest.raises(BadRequest, match="last non-system message"):
        prepare_turn(ctx, ChatInput([_m(U, "q"), _m(A, "a")]), [])
    with pytest.raises(BadRequest):
        prepare_turn(ctx, ChatInput([_m(S, "only system")]), [])


def test_rag_requested_without_a_database_is_a_400(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(make_project())
    with pytest.raises(BadRequest, match="no rag.databases"):
        prepare_turn(ctx, ChatInput([_m(U, "q")], rag=RagOptions(enabled=True)), [])


def test_stateless_turn_stores_nothing(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    result = complete_turn(ctx_for(project), ChatInput([_m(U, "Say hello.")]))
    assert result.completion.text and result.session_id is None
    assert not (project.path / "sessions").exists()


def test_stateful_turns_build_the_history(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    ctx = ctx_for(project)
    first = complete_turn(ctx, ChatInput([_m(U, "My name is Ada.")], session_id="s1"))
    second = complete_turn(ctx, ChatInput([_m(U, "What is my name?")], session_id="s1"))
    history = ctx.sessions.get(project.path, "s1").messages
    assert history == [
        _m(U, "My name is Ada."),
        _m(A, first.completion.text),
        _m(U, "What is my name?"),
        _m(A, second.completion.text),
    ]
    # A client resending the whole conversation adds only its new message.
    complete_turn(ctx, ChatInput([*history, _m(U, "Thanks.")], session_id="s1"))
    assert len(ctx.sessions.get(project.path, "s1").messages) == 6


def test_streamed_turn_is_recorded_like_a_complete_one(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    ctx = ctx_for(project)
    items = list(stream_turn(ctx, ChatInput([_m(U, "Say hello.")], session_id="s2")))
    result = items[-1]
    assert isinstance(result, TurnResult)
    text = "".join(i.text for i in items[:-1] if isinstance(i, StreamDelta))
    assert text == result.completion.text
    assert ctx.sessions.get(project.path, "s2").messages == [_m(U, "Say hello."), _m(A, text)]


def test_a_stream_closed_early_stores_nothing_and_frees_the_session(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    ctx = ctx_for(project)
    stream = stream_turn(ctx, ChatInput([_m(U, "Count to ten.")], session_id="s3"))
    next(stream)
    stream.close()
    assert ctx.sessions.load(project.path, "s3") is None
    complete_turn(ctx, ChatInput([_m(U, "Hi")], session_id="s3"))  # not blocked by the closed stream
    assert len(ctx.sessions.get(project.path, "s3").messages) == 2


def test_a_failed_provider_turn_stores_nothing(make_project, ctx_for) -> None:  # type: ignore[no-untyped-def]
    dead = {"name": "remote", "provider": "ollama", "model": "llama3.1:8b", "base_url": "http://127.0.0.1:9"}
    project = make_project(runtime={"models": [EMBEDDED, dead]})
    ctx = ctx_for(project)
    complete_turn(ctx, ChatInput([_m(U, "Hi")], session_id="s4"))
    with pytest.raises(UpstreamError, match="127.0.0.1:9"):
        complete_turn(ctx, ChatInput([_m(U, "Again")], model="remote", session_id="s4"))
    with pytest.raises(UpstreamError):
        list(stream_turn(ctx, ChatInput([_m(U, "Again")], model="remote", session_id="s4")))
    assert [m.content for m in ctx.sessions.get(project.path, "s4").messages][0] == "Hi"
    assert len(ctx.sessions.get(project.path, "s4").messages) == 2
