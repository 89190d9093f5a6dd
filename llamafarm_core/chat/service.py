"""One chat turn: choose the model, combine history and request, retrieve context, run the
provider, and record the turn in the session.

History rule: a session stores user and assistant messages only. The request's non-system
messages are the new turn(s) appended to the stored history — unless they start with the
whole stored history (a client that resends the conversation), in which case only what
follows it is new. System messages come from the project's prompts and the request, for
that turn; retrieved context likewise. A turn that fails or is cancelled stores nothing.

Tools (:mod:`llamafarm_core.tools`): when the model has MCP servers or tools, or the request
sends tools, they are offered to the provider; calls to MCP tools are run here and their
results fed back, for up to ``mcp.max_tool_rounds`` rounds; calls to other tools end the
turn with ``finish_reason: tool_calls`` for the client to run. The session stores the new
messages and the final assistant message, not the server-side tool exchange.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from llamafarm_core.chat.prompt import config_system_messages
from llamafarm_core.chat.rag import RagOptions, Source, context_text, rag_database, retrieve_sources
from llamafarm_core.chat.sessions import SessionStore
from llamafarm_core.components.provider import ModelProvider
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import BadRequest
from llamafarm_core.llm.models import build_provider, select_model
from llamafarm_core.llm.params import build_request
from llamafarm_core.llm.types import ChatMessage, Completion, CompletionRequest, Role, StreamDelta, Usage
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings
from llamafarm_core.tools.mcp_client import McpConnections
from llamafarm_core.tools.toolset import ToolRun, Toolset, build_toolset


@dataclass
class ChatContext:
    """Everything a turn needs from the process and the project."""

    settings: Settings
    registry: Registry
    project: Project
    sessions: SessionStore
    mcp: McpConnections | None = None  # the server's; None: connections live for one turn


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
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None


@dataclass
class TurnResult:
    completion: Completion
    model: RuntimeModel
    sources: list[Source]
    session_id: str | None
    tool_runs: list[ToolRun] = field(default_factory=list)


@dataclass
class PreparedTurn:
    model: RuntimeModel
    provider: ModelProvider
    request: CompletionRequest
    sources: list[Source]
    new_messages: list[ChatMessage]
    toolset: Toolset | None = None


def merge_history(
    history: list[ChatMessage], incoming: list[ChatMessage]
) -> tuple[list[ChatMessage], list[ChatMessage]]:
    """(the whole conversation, the new messages) per the history rule of this module."""
    n = len(history)
    new = incoming[n:] if n and incoming[:n] == history else incoming
    return history + new, new


def prepare_turn(
    ctx: ChatContext,
    chat: ChatInput,
    history: list[ChatMessage],
    cancel: threading.Event | None = None,
    connections: McpConnections | None = None,
) -> PreparedTurn:
    """Everything before generation: the model, its provider, the full prompt (with
    retrieved context), the sources, and the messages the turn adds to the history."""
    config = ctx.project.config
    model = select_model(config, chat.model)
    turn = [m for m in chat.messages if m.role is not Role.SYSTEM]
    conversation, new = merge_history(history, turn)
    if not conversation or conversation[-1].role not in (Role.USER, Role.TOOL):
        raise BadRequest(
            "the last non-system message must be from the user (or a tool result): there is nothing to answer"
        )
    provider = build_provider(ctx.registry, config, model)
    _check_features(model, provider, chat)
    database = rag_database(config, chat.rag)
    sources: list[Source] = []
    if database is not None:
        query = next((m.content for m in reversed(conversation) if m.role is Role.USER), "")
        sources = retrieve_sources(ctx.settings, ctx.registry, ctx.project, query, database, chat.rag)
    request = build_request(
        _prompt(config_system_messages(config, model), chat, sources, conversation), model, chat.params
    )
    request.cancel = cancel
    request.response_format = chat.response_format
    toolset = None
    if model.mcp_servers or model.tools or chat.tools:
        toolset = build_toolset(config, model, chat.tools, connections, str(ctx.project.path))
        request.tools = toolset.specs
        request.tool_choice = chat.tool_choice
    return PreparedTurn(model, provider, request, sources, new, toolset)


def _check_features(model: RuntimeModel, provider: ModelProvider, chat: ChatInput) -> None:
    """A 400 naming the field when the request (or the model's config) asks for something
    the provider cannot do — never a silent drop."""
    wants_tools = bool(model.mcp_servers or model.tools or chat.tools)
    where = f"model {model.name!r} (provider {model.provider})"
    if wants_tools and "tools" not in provider.features:
        field_name = "tools" if chat.tools else f"runtime.models[{model.name}].mcp_servers/tools"
        raise BadRequest(f"{field_name}: {where} cannot call tools; use an openai or ollama model")
    if chat.tool_choice not in (None, "none", "auto"):
        if not wants_tools:
            raise BadRequest(
                "tool_choice: no tools are offered (send tools, or configure them for the model)"
            )
        if "tool_choice" not in provider.features:
            raise BadRequest(f"tool_choice: {where} takes only 'auto' or 'none'")
    if "content_parts" not in provider.features:
        for i, m in enumerate(chat.messages):
            kinds = [(j, p.get("type")) for j, p in enumerate(m.parts) if p.get("type") != "text"]
            if kinds:
                j, kind = kinds[0]
                raise BadRequest(
                    f"messages[{i}].content[{j}]: {where} does not take {kind!r} parts; send text"
                )
    fmt = (chat.response_format or {}).get("type", "text")
    if fmt != "text" and "response_format" not in provider.features:
        raise BadRequest(f"response_format: {where} cannot produce {fmt!r}; omit it or use type 'text'")


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


@contextmanager
def _connections(ctx: ChatContext) -> Iterator[McpConnections]:
    """The server's MCP connections, or ones that last this turn only (CLI, library use)."""
    if ctx.mcp is not None:
        yield ctx.mcp
        return
    with McpConnections() as connections:
        yield connections


def complete_turn(ctx: ChatContext, chat: ChatInput, cancel: threading.Event | None = None) -> TurnResult:
    """Run a turn to the end (tool rounds included) and record it (stateful) — blocking."""
    result: TurnResult | None = None
    for item in stream_turn(ctx, chat, cancel, streaming=False):
        if isinstance(item, TurnResult):
            result = item
    assert result is not None
    return result


def stream_turn(
    ctx: ChatContext, chat: ChatInput, cancel: threading.Event | None = None, *, streaming: bool = True
) -> Iterator[StreamDelta | ToolRun | TurnResult]:
    """Yield the answer's deltas and the tool calls run, then the TurnResult; the turn is
    recorded at the end. ``streaming=False`` asks the provider for whole answers instead.

    The session stays locked while the generator runs: close it when you stop early.
    """
    with _connections(ctx) as connections:
        if chat.session_id is None:
            prepared = prepare_turn(ctx, chat, [], cancel, connections)
            runs: list[ToolRun] = []
            completion = yield from _rounds(prepared, runs, streaming)
            yield TurnResult(completion, prepared.model, prepared.sources, None, runs)
            return
        with ctx.sessions.locked(ctx.project.path, chat.session_id):
            session = ctx.sessions.load(ctx.project.path, chat.session_id)
            prepared = prepare_turn(ctx, chat, session.messages if session else [], cancel, connections)
            runs = []
            completion = yield from _rounds(prepared, runs, streaming)
            _record(ctx, chat.session_id, prepared, completion)
        yield TurnResult(completion, prepared.model, prepared.sources, chat.session_id, runs)


def _rounds(
    prepared: PreparedTurn, runs: list[ToolRun], streaming: bool
) -> Generator[StreamDelta | ToolRun, None, Completion]:
    """Model → tools → model until the model answers, calls a tool the client must run, or
    ``max_tool_rounds`` rounds ran (then it answers once more without tools)."""
    request, toolset, usage = prepared.request, prepared.toolset, Usage()
    rounds = 0
    while True:
        if streaming:
            completion = yield from _relay(prepared.provider, request)
        else:
            completion = prepared.provider.complete(request)
        usage = Usage(
            usage.prompt_tokens + completion.usage.prompt_tokens,
            usage.completion_tokens + completion.usage.completion_tokens,
        )
        completion.usage = usage
        ours = [c for c in completion.tool_calls if toolset is not None and toolset.runs(c.name)]
        if not ours or completion.finish_reason == "cancelled" or toolset is None:
            return completion
        if rounds >= toolset.max_rounds:
            if request.tools:  # out of rounds: the model answers once more, without tools
                request = replace(request, tools=[], tool_choice=None)
                continue
            completion.tool_calls, completion.finish_reason = [], "stop"
            return completion
        theirs = [c for c in completion.tool_calls if c not in ours]
        results: list[ChatMessage] = []
        for call in ours:
            run = toolset.run(call)
            runs.append(run)
            yield run
            results.append(ChatMessage(Role.TOOL, run.output, tool_call_id=call.id, name=call.name))
            if request.cancelled():
                return Completion("", "cancelled", usage)
        if theirs:
            return Completion(completion.text, "tool_calls", usage, theirs)
        asked = ChatMessage(Role.ASSISTANT, completion.text, tool_calls=tuple(completion.tool_calls))
        request = replace(request, messages=[*request.messages, asked, *results])
        rounds += 1


def _relay(provider: ModelProvider, request: CompletionRequest) -> Generator[StreamDelta, None, Completion]:
    """Pass the provider's deltas on; return its final Completion."""
    final = Completion("")
    stream = provider.stream(request)
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
    answer = ChatMessage(Role.ASSISTANT, completion.text, tool_calls=tuple(completion.tool_calls))
    sources = [s.to_dict() for s in prepared.sources]
    ctx.sessions.append(ctx.project.path, session_id, [*prepared.new_messages, answer], sources)
