"""OpenAI-compatible chat completions with sessions, streaming and RAG; session history."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from llamafarm_core.chat.rag import RagOptions, Source
from llamafarm_core.chat.service import ChatContext, ChatInput, TurnResult, complete_turn, stream_turn
from llamafarm_core.chat.sessions import SessionStore, check_session_id, new_session_id
from llamafarm_core.errors import BadRequest, LlamaFarmError, ValidationFailed
from llamafarm_core.llm.models import select_model
from llamafarm_core.llm.types import ChatMessage, Role, StreamDelta, ToolCall
from llamafarm_core.settings import Settings
from llamafarm_core.tools.mcp_client import McpConnections
from llamafarm_core.tools.toolset import ToolRun
from llamafarm_server.api import Router, run_blocking, run_long
from llamafarm_server.context import PROJECTS, REGISTRY, SETTINGS, project_ref
from llamafarm_server.schemas.chat import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    ChatMessageOut,
    Choice,
    DeletedSessions,
    HistoryQuery,
    MessageOut,
    MessageResponse,
    SessionHistory,
    SessionList,
    SessionListQuery,
    SessionSummaryOut,
    ToolCallOut,
    ToolRunOut,
    UsageOut,
)
from llamafarm_server.streaming import ThreadedIterator, send_event, sse_headers, wait_unless_disconnected

log = logging.getLogger("llamafarm.chat")
router = Router("Chat")
BASE = "/v1/projects/{namespace}/{project}/chat"
SESSION_HEADER = "X-Session-ID"
NO_SESSION_HEADER = "X-No-Session"


class _AsyncKeyedLocks:
    """Per-session asyncio locks, so waiting turns don't park threads of the executor."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


SESSIONS: web.AppKey[SessionStore] = web.AppKey("chat_sessions", SessionStore)
TURN_LOCKS: web.AppKey[_AsyncKeyedLocks] = web.AppKey("chat_turn_locks", _AsyncKeyedLocks)
MCP: web.AppKey[McpConnections] = web.AppKey("chat_mcp_connections", McpConnections)


def setup(app: web.Application) -> None:
    app[SESSIONS] = SessionStore(app[SETTINGS])
    app[TURN_LOCKS] = _AsyncKeyedLocks()
    app[MCP] = McpConnections()  # MCP servers of the projects' models, kept across turns

    async def close_mcp(app: web.Application) -> None:
        await run_blocking(app[MCP].close)  # stops the stdio servers

    app.on_cleanup.append(close_mcp)


def _session_id(request: web.Request) -> str | None:
    """None for a stateless request; else the client's session id or a new one."""
    if NO_SESSION_HEADER in request.headers:
        return None
    given = request.headers.get(SESSION_HEADER, "").strip()
    return check_session_id(given) if given else new_session_id()


def check_chat_limits(body: ChatCompletionRequest, settings: Settings) -> None:
    """Bound the work one request can ask for (422 naming the setting), before any model runs."""
    if len(body.messages) > settings.max_chat_messages:
        raise ValidationFailed(
            f"messages: {len(body.messages)} messages, more than the limit of "
            f"{settings.max_chat_messages} (LF_MAX_CHAT_MESSAGES)"
        )
    stops = [body.stop] if isinstance(body.stop, str) else body.stop or []
    if len(stops) > settings.max_stop_sequences:
        raise ValidationFailed(
            f"stop: {len(stops)} sequences, more than the limit of {settings.max_stop_sequences} "
            "(LF_MAX_STOP_SEQUENCES)"
        )
    chars = sum(len(m.text()) for m in body.messages) + sum(len(s) for s in stops)
    if chars > settings.max_chat_chars:
        raise ValidationFailed(
            f"messages: {chars} characters in all, more than the limit of {settings.max_chat_chars} "
            "(LF_MAX_CHAT_CHARS)"
        )


def _chat_input(body: ChatCompletionRequest, session_id: str | None) -> ChatInput:
    """The core's input; OpenAI fields this server cannot honour are a 400 naming them."""
    if body.n is not None and body.n > 1:
        raise BadRequest("n: only one choice per request is supported (n=1)")
    if body.logprobs or body.top_logprobs:
        raise BadRequest("logprobs: log probabilities are not returned by this server; send logprobs: false")
    messages = []
    for m in body.messages:
        calls = tuple(ToolCall(c.id, c.function.name, c.function.arguments) for c in m.tool_calls or ())
        role = Role.SYSTEM if m.role in ("system", "developer") else Role(m.role)
        parts: tuple[dict[str, Any], ...] = ()
        if isinstance(m.content, list) and m.other_parts():  # kept for providers that take them
            parts = tuple(p.model_dump(exclude_none=True) for p in m.content)
        messages.append(ChatMessage(role, m.text(), calls, m.tool_call_id, m.name, parts))
    rag = RagOptions(body.rag_enabled, body.database, body.rag_top_k, body.rag_score_threshold)
    return ChatInput(
        messages,
        body.model,
        body.sampling(),
        rag,
        session_id,
        tools=body.tools,
        tool_choice=body.tool_choice,
        response_format=body.response_format,
    )


def _tool_runs(result: TurnResult) -> list[ToolRunOut]:
    return [ToolRunOut(**run.to_dict()) for run in result.tool_runs]


def _sources(result: TurnResult) -> list[dict[str, Any]]:
    return [s.to_dict() for s in result.sources]


@router.post(
    f"{BASE}/completions",
    body=ChatCompletionRequest,
    response=ChatCompletionResponse,
    responses={502: "the model provider failed", 504: "the model provider timed out"},
)
async def chat_completions(request: web.Request, body: ChatCompletionRequest) -> web.StreamResponse:
    """Chat completion (OpenAI-compatible); SSE when ``stream`` is true. Send
    ``X-Session-ID`` to continue a session, ``X-No-Session`` for a stateless turn."""
    check_chat_limits(body, request.app[SETTINGS])
    session_id = _session_id(request)
    chat = _chat_input(body, session_id)
    project = await run_blocking(request.app[PROJECTS].get_bare, project_ref(request))
    ctx = ChatContext(
        request.app[SETTINGS], request.app[REGISTRY], project, request.app[SESSIONS], request.app[MCP]
    )
    headers = {SESSION_HEADER: session_id} if session_id else {}
    lock_key = f"{project.path}\0{session_id}" if session_id else None
    async with request.app[TURN_LOCKS].hold(lock_key):
        if body.stream:
            include_usage = bool(body.stream_options and body.stream_options.include_usage)
            return await _stream(request, ctx, chat, headers, include_usage)
        cancel = threading.Event()
        task = asyncio.ensure_future(run_long(request, complete_turn, ctx, chat, cancel))
        result = await wait_unless_disconnected(request, task, cancel.set)
    completion = result.completion
    calls = [ToolCallOut(**c.to_dict()) for c in completion.tool_calls] or None
    message = MessageOut(content=completion.text if completion.text or not calls else None, tool_calls=calls)
    payload = ChatCompletionResponse(
        id=_completion_id(),
        created=int(time.time()),
        model=result.model.name,
        choices=[Choice(message=message, finish_reason=completion.finish_reason)],
        usage=UsageOut(**completion.usage.to_dict()),
        sources=result.sources,
        tool_calls_made=_tool_runs(result),
    )
    return web.json_response(payload.model_dump(mode="json"), headers=headers)


async def _stream(
    request: web.Request,
    ctx: ChatContext,
    chat: ChatInput,
    headers: dict[str, str],
    include_usage: bool = False,
) -> web.StreamResponse:
    """SSE ``chat.completion.chunk`` events. Errors before the first token are ordinary
    JSON errors with their status; later ones are an ``error`` event, then the stream ends.

    A tool call the server ran is a chunk with an empty delta and ``tool_calls_made``; calls
    for the client arrive as a ``tool_calls`` delta before the ``tool_calls`` finish. Usage
    rides on the finish chunk, or, with ``stream_options.include_usage``, in a last chunk
    with no choices (as OpenAI sends it)."""
    cancel = threading.Event()
    bridge: ThreadedIterator[StreamDelta | ToolRun | TurnResult] = ThreadedIterator(
        lambda: stream_turn(ctx, chat, cancel), cancel
    ).start()
    try:
        # Wait for the first token before answering, so an early error keeps its status.
        item = await bridge.next()
    except BaseException:
        bridge.stop()
        raise
    chunk_id, created = _completion_id(), int(time.time())
    model_name = select_model(ctx.project.config, chat.model).name

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_name,
            "choices": [choice],
            **extra,
        }

    response = web.StreamResponse(headers=sse_headers(headers))
    await response.prepare(request)
    first = True
    try:
        while item is not None:
            if isinstance(item, TurnResult):
                model_name = item.model.name
                if first:
                    await send_event(response, chunk({"role": "assistant", "content": ""}))
                if item.completion.tool_calls:
                    calls = [{"index": i, **c.to_dict()} for i, c in enumerate(item.completion.tool_calls)]
                    await send_event(response, chunk({"tool_calls": calls}))
                usage = item.completion.usage.to_dict()
                finish = item.completion.finish_reason
                if include_usage:
                    await send_event(response, chunk({}, finish, sources=_sources(item)))
                    await send_event(response, {**chunk({}), "choices": [], "usage": usage})
                else:
                    await send_event(response, chunk({}, finish, usage=usage, sources=_sources(item)))
            elif isinstance(item, ToolRun):
                delta: dict[str, Any] = {"role": "assistant", "content": ""} if first else {}
                await send_event(response, chunk(delta, tool_calls_made=[item.to_dict()]))
            else:
                delta = {"role": "assistant", "content": item.text} if first else {"content": item.text}
                await send_event(response, chunk(delta))
            first = False
            item = await bridge.next()
        await send_event(response, "[DONE]")
    except LlamaFarmError as err:
        await _send_error(response, err.message, type(err).__name__, err.status)
    except ConnectionResetError:
        log.info("client left during a stream; generation stopped, nothing recorded")
    except Exception as err:
        log.exception("chat stream failed")
        await _send_error(response, f"internal error: {type(err).__name__}: {err}", "InternalError", 500)
    finally:
        bridge.stop()
    return response


async def _send_error(response: web.StreamResponse, message: str, kind: str, status: int) -> None:
    try:
        await send_event(response, {"error": {"message": message, "type": kind, "code": status}})
    except ConnectionResetError:
        pass


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


@router.get(f"{BASE}/sessions", query=SessionListQuery, response=SessionList)
async def list_sessions(request: web.Request, query: SessionListQuery) -> SessionList:
    """The project's live sessions, most recently used first, with the ids clients sent."""
    project = await run_blocking(request.app[PROJECTS].get_bare, project_ref(request))
    found = await run_blocking(request.app[SESSIONS].summaries, project.path, query.limit)
    return SessionList(
        total=len(found),
        sessions=[
            SessionSummaryOut(
                session_id=s.id,
                created_at=s.created_at,
                updated_at=s.updated_at,
                message_count=s.message_count,
                title=s.title,
            )
            for s in found
        ],
    )


@router.get(
    f"{BASE}/sessions/{{session_id}}/history",
    query=HistoryQuery,
    response=SessionHistory,
    responses={404: "no such session"},
)
async def session_history(request: web.Request, query: HistoryQuery) -> web.Response:
    """The stored messages of a session (user and assistant turns, no retrieved context);
    ``include_sources=true`` adds each answer's ``sources``."""
    session_id = check_session_id(request.match_info["session_id"])
    project = await run_blocking(request.app[PROJECTS].get_bare, project_ref(request))
    store = request.app[SESSIONS]
    session = await run_blocking(store.get, project.path, session_id)
    sources = await run_blocking(store.sources, project.path, session) if query.include_sources else {}
    messages = []
    for i, m in enumerate(session.messages):
        message = ChatMessageOut(role=m.role.value, content=m.content)
        if query.include_sources and m.role is Role.ASSISTANT:
            message.sources = [Source.model_validate(s) for s in sources.get(i, [])]
        messages.append(message)
    body = SessionHistory(session_id=session_id, messages=messages).model_dump(mode="json")
    for message_json in body["messages"]:  # the spec's {role, content} unless asked for more
        if message_json["sources"] is None:
            del message_json["sources"]
    return web.json_response(body)


@router.delete(
    f"{BASE}/sessions/{{session_id}}", response=MessageResponse, responses={404: "no such session"}
)
async def delete_session(request: web.Request) -> MessageResponse:
    """Delete one session and its history."""
    session_id = check_session_id(request.match_info["session_id"])
    project = await run_blocking(request.app[PROJECTS].get_bare, project_ref(request))
    async with request.app[TURN_LOCKS].hold(f"{project.path}\0{session_id}"):
        await run_blocking(request.app[SESSIONS].delete, project.path, session_id)
    return MessageResponse(message=f"Session {session_id} deleted")


@router.delete(f"{BASE}/sessions", response=DeletedSessions)
async def delete_sessions(request: web.Request) -> DeletedSessions:
    """Delete every session of the project."""
    project = await run_blocking(request.app[PROJECTS].get_bare, project_ref(request))
    count = await run_blocking(request.app[SESSIONS].delete_all, project.path)
    return DeletedSessions(message=f"Deleted {count} session(s)", count=count)
