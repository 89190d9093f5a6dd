"""A scripted stand-in for a tool-capable model behind an OpenAI-compatible API.

The bundled Gemma 270M base model cannot call tools, and no tool-capable model can run
here, so this small aiohttp app plays one. It speaks OpenAI's Chat Completions wire
protocol (``POST /v1/chat/completions``, JSON or SSE with ``tool_calls`` deltas split in
pieces, ``stream_options.include_usage``; ``GET /v1/models``), so the official ``openai``
SDK — and therefore the project's ``openai`` provider — talks to it unchanged.

Its "policy" is a script written in the last user message: ``[[tool {json args}]]`` steps,
run one per round, in order; steps joined by ``&`` are called together in one round
(parallel tool calls). An argument ``"$N"`` is replaced by the N-th tool result of
the conversation (so a second call depends on the first one's real result). A step naming
a tool the request did not offer is refused in words. When every step has a result, it
answers ``The answer is <last result>.``; without steps, ``You said: <text>``. With
``response_format`` ``json_object`` the answer is ``{"answer": ...}``. Every request body is
kept in ``state.requests`` for tests to inspect.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.background import BackgroundApp

STEP = re.compile(r"\[\[([A-Za-z0-9_.-]+)\s*(\{.*?\})?\]\]", re.S)


@dataclass
class ToolModelState:
    requests: list[dict[str, Any]] = field(default_factory=list)


STATE: web.AppKey[ToolModelState] = web.AppKey("state", ToolModelState)


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def decide(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(answer text, tool calls) for a request, per the module's script rules."""
    messages = body.get("messages") or []
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    prompt = _text(messages[last_user].get("content")) if last_user >= 0 else ""
    results = [_text(m.get("content")) for m in messages[last_user + 1 :] if m.get("role") == "tool"]
    offered = {t["function"]["name"] for t in body.get("tools") or [] if t.get("type") == "function"}
    rounds = _rounds(prompt)
    steps = [step for group in rounds for step in group]
    if not steps:
        answer = f"You said: {prompt}"
    elif len(results) < len(steps) and body.get("tool_choice") != "none":
        done, group = 0, rounds[0]
        for group in rounds:  # the first round not fully answered yet
            if done + len(group) > len(results):
                break
            done += len(group)
        calls = []
        for name, raw in group:
            if name not in offered:
                return f"I cannot use {name}: it was not offered.", []
            args = json.loads(raw or "{}")
            for key, value in args.items():
                if isinstance(value, str) and re.fullmatch(r"\$\d+", value):
                    args[key] = _number(results[int(value[1:]) - 1])
            calls.append(
                {
                    "id": f"call_{uuid.uuid4().hex[:12]}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
            )
        return "", calls
    else:
        answer = f"The answer is {results[-1] if results else 'unknown'}."
    if (body.get("response_format") or {}).get("type") == "json_object":
        answer = json.dumps({"answer": answer})
    return answer, []


def _rounds(prompt: str) -> list[list[tuple[str, str]]]:
    """The script's steps grouped by round: steps joined by ``&`` share one."""
    rounds: list[list[tuple[str, str]]] = []
    end = None
    for match in STEP.finditer(prompt):
        joined = end is not None and prompt[end : match.start()].strip() == "&"
        if joined:
            rounds[-1].append((match.group(1), match.group(2)))
        else:
            rounds.append([(match.group(1), match.group(2))])
        end = match.end()
    return rounds


def _number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def _usage(body: dict[str, Any], answer: str) -> dict[str, int]:
    prompt = sum(len(_text(m.get("content")).split()) for m in body.get("messages") or [])
    completion = max(1, len(answer.split()))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def chat(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    request.app[STATE].requests.append(body)
    if not body.get("messages"):
        return web.json_response(
            {"error": {"message": "messages: required", "type": "invalid_request_error"}}, status=400
        )
    answer, calls = decide(body)
    finish = "tool_calls" if calls else "stop"
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "created": int(time.time()),
        "model": body.get("model", "tool-model"),
    }
    usage = _usage(body, answer)
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": answer or None}
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return web.json_response({**base, "object": "chat.completion", "choices": [choice], "usage": usage})
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)

    async def send(delta: dict[str, Any], finish_reason: str | None = None) -> None:
        chunk = {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await asyncio.sleep(0)

    await send({"role": "assistant", "content": ""})
    for word in re.findall(r"\S+\s*", answer):
        await send({"content": word})
    for i, call in enumerate(calls):  # id and name first, then the arguments in two pieces
        args = call["function"]["arguments"]
        half = len(args) // 2
        await send(
            {
                "tool_calls": [
                    {
                        "index": i,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": args[:half]},
                    }
                ]
            }
        )
        await send({"tool_calls": [{"index": i, "function": {"arguments": args[half:]}}]})
    await send({}, finish)
    if (body.get("stream_options") or {}).get("include_usage"):
        chunk = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
        await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
    await resp.write(b"data: [DONE]\n\n")
    return resp


async def models(request: web.Request) -> web.Response:
    return web.json_response(
        {"object": "list", "data": [{"id": "tool-model", "object": "model", "owned_by": "fake"}]}
    )


def create_app(state: ToolModelState | None = None) -> web.Application:
    app = web.Application()
    app[STATE] = state or ToolModelState()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    return app


class ToolModelServer(BackgroundApp):
    """The stand-in on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self) -> None:
        super().__init__("tool-model")
        self.state = ToolModelState()

    def make_app(self) -> web.Application:
        return create_app(self.state)
