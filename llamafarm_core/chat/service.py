"""One chat turn: choose the model, combine history and request, retrieve context, run the
provider, and record the turn in the session.

History rule: a session stores user and assistant messages only. The request's non-system
messages are the new turn(s) appended to the stored history — unless they start with the
whole stored history (a client that resends the conversation), in which case only what
follows it is new. System messages come from the project's prompts and the request, for
that turn; retrieved context likewise. A turn that fails or is cancelled stores nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from llamafarm_core.chat.models import build_provider, select_model
from llamafarm_core.chat.params import build_request
from llamafarm_core.chat.prompt import config_system_messages
from llamafarm_core.chat.rag import RagOptions, Source, context_text, rag_database, retrieve_sources
from llamafarm_core.chat.sessions import SessionStore
from llamafarm_core.chat.types import ChatMessage, Completion, CompletionRequest, Role, StreamDelta
from llamafarm_core.components.provider import ModelProvider
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import BadRequest
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings


@dataclass
class ChatContext:
    """Everything a turn needs from the process and the project."""

    settings: Settings
    registry: Registry
    project: Project
    sessions: SessionStore


@dataclass
class ChatInput:
    """A request, already validated by the API layer.

    ``params`` are request overrides of the model's ``model_api_parameters`` (``None``
    values are ignored). ``session_id`` None means stateless.
    """

    messages: list[ChatMessage]
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    rag: RagOptions = field(default_factory=RagOptions)
    session_id: str | None = None


@dataclass
class TurnResult:
    completion: Completion
    model: RuntimeModel
    sources: list[Source]
    session_id: str | None


@dataclass
class PreparedTurn:
    model: RuntimeModel
    provider: ModelProvider
    request: CompletionRequest
    sources: list[Source]
    new_messages: list[ChatMessage]


def merge_history(
    history: list[ChatMessage], incoming: list[ChatMessage]
) -> tuple[list[ChatMessage], list[ChatMessage]]:
    """(the whole conversation, the new messages) per the history rule of this module."""
    n = len(history)
    new = incoming[n:] if n and incoming[:n] == history else incoming
    return history + new, new


def prepare_turn(
    ctx: ChatContext, chat: ChatInput, history: list[ChatMessage], cancel: threading.Event | None = None
) -> PreparedTurn:
    """Everything before generation: the model, its provider, the full prompt (with
    retrieved context), the sources, and the messages the turn adds to the history."""
    config = ctx.project.config
    model = select_model(config, chat.model)
    turn = [m for m in chat.messages if m.role is not Role.SYSTEM]
    conversation, new = merge_history(history, turn)
    if not conversation or conversation[-1].role is not Role.USER:
        raise BadRequest("the last non-system message must be from the user: there is nothing to answer")
    database = rag_database(config, chat.rag)
    sources: list[Source] = []
    if database is not None:
        query = conversation[-1].content
        sources = retrieve_sources(ctx.settings, ctx.registry, ctx.project, query, database, chat.rag)
    request = build_request(
        _prompt(config_system_messages(config, model), chat, sources, conversation), model, chat.params
    )
    request.cancel = cancel
    provider = build_provider(ctx.registry, config, model)
    return PreparedTurn(model, provider, request, sources, new)


def _prompt(
    configured: list[ChatMessage], chat: ChatInput, sources: list[Source], conversation: list[ChatMessage]
) -> list[ChatMessage]:
    """One system message (project prompts, request system messages, retrieved context —
    one block, since many chat templates accept a single leading system message), then any
    non-system prompt messages (few-shot examples), then the conversation."""
    system = [m.content.strip() for m in configured if m.role is Role.SYSTEM]
    system += [m.content.strip() for m in chat.messages if m.role is Role.SYSTEM]
    if sources:
        system.append(context_text(sources))
    head = [ChatMessage(Role.SYSTEM, "\n\n".join(s for s in system if s))] if any(system) else []
    examples = [m for m in configured if m.role is not Role.SYSTEM]
    return head + examples + conversation


def complete_turn(ctx: ChatContext, chat: ChatInput, cancel: threading.Event | None = None) -> TurnResult:
    """Run a turn to the end and record it (stateful) — blocking."""
    if chat.session_id is None:
        prepared = prepare_turn(ctx, chat, [], cancel)
        completion = prepared.provider.complete(prepared.request)
        return TurnResult(completion, prepared.model, prepared.sources, None)
    with ctx.sessions.locked(ctx.project.path, chat.session_id):
        session = ctx.sessions.load(ctx.project.path, chat.session_id)
        prepared = prepare_turn(ctx, chat, session.messages if session else [], cancel)
        completion = prepared.provider.complete(prepared.request)
        _record(ctx, chat.session_id, prepared, completion)
    return TurnResult(completion, prepared.model, prepared.sources, chat.session_id)


def stream_turn(
    ctx: ChatContext, chat: ChatInput, cancel: threading.Event | None = None
) -> Iterator[StreamDelta | TurnResult]:
    """Yield the answer's deltas, then the TurnResult; the turn is recorded at the end.

    The session stays locked while the generator runs: close it when you stop early.
    """
    if chat.session_id is None:
        prepared = prepare_turn(ctx, chat, [], cancel)
        completion = yield from _relay(prepared)
        yield TurnResult(completion, prepared.model, prepared.sources, None)
        return
    with ctx.sessions.locked(ctx.project.path, chat.session_id):
        session = ctx.sessions.load(ctx.project.path, chat.session_id)
        prepared = prepare_turn(ctx, chat, session.messages if session else [], cancel)
        completion = yield from _relay(prepared)
        _record(ctx, chat.session_id, prepared, completion)
    yield TurnResult(completion, prepared.model, prepared.sources, chat.session_id)


def _relay(prepared: PreparedTurn) -> Generator[StreamDelta, None, Completion]:
    """Pass the provider's deltas on; return its final Completion."""
    final = Completion("")
    stream = prepared.provider.stream(prepared.request)
    try:
        for item in stream:
            if isinstance(item, StreamDelta):
                yield item
            else:
                final = item
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return final


def _record(ctx: ChatContext, session_id: str, prepared: PreparedTurn, completion: Completion) -> None:
    if completion.finish_reason == "cancelled":
        return
    answer = ChatMessage(Role.ASSISTANT, completion.text)
    ctx.sessions.append(ctx.project.path, session_id, [*prepared.new_messages, answer])
