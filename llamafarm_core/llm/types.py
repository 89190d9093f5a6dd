"""Typed values between the chat service and model providers.

A provider receives a :class:`CompletionRequest` (the full prompt as messages, system
messages first, plus sampling options) and answers with a :class:`Completion`, or, when
streaming, with :class:`StreamDelta` items followed by one final :class:`Completion`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Role(str, Enum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for; ``arguments`` is JSON text, as OpenAI sends it."""

    id: str
    name: str
    arguments: str = "{}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        function = data.get("function") or {}
        return cls(str(data["id"]), str(function["name"]), str(function.get("arguments") or "{}"))


@dataclass(frozen=True)
class ChatMessage:
    """A message. Assistant messages may carry ``tool_calls`` (and empty content); a
    ``tool`` message answers one call (``tool_call_id``). ``parts`` keeps OpenAI content parts
    when there are non-text ones (images …), for providers that take them; ``content`` is
    then the text parts joined."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    parts: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """OpenAI's message shape (``content`` null for a pure tool-calling turn)."""
        out: dict[str, Any] = {"role": self.role.value, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [c.to_dict() for c in self.tool_calls]
            out["content"] = self.content or None
        if self.parts:
            out["content"] = [dict(p) for p in self.parts]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        content = data.get("content")
        parts: tuple[dict[str, Any], ...] = ()
        if isinstance(content, list):
            parts = tuple(dict(p) for p in content)
            content = "\n".join(str(p.get("text") or "") for p in parts if p.get("type") == "text")
        return cls(
            Role(data["role"]),
            str(content or ""),
            tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ()),
            data.get("tool_call_id"),
            data.get("name"),
            parts,
        )


@dataclass
class CompletionRequest:
    """What a provider runs. ``None`` means "the provider's own default".

    ``tools`` are OpenAI function tools (``{"type": "function", "function": {…}}``), with
    ``tool_choice`` and ``response_format`` as OpenAI defines them; a provider that cannot
    honour them lacks the matching entry in ``ModelProvider.features`` and is never sent them.
    ``extra`` carries ``model_api_parameters`` that aren't one of the common fields (for
    example Ollama's ``num_ctx`` or llama.cpp's ``repeat_penalty``); a provider uses the
    ones it knows. ``cancel``, when set by the caller, asks the provider to stop early
    (a client went away); the completion then ends with finish reason ``"cancelled"``.
    """

    messages: list[ChatMessage]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    cancel: threading.Event | None = field(default=None, compare=False, repr=False)

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass
class Completion:
    """A finished answer. ``finish_reason`` is ``stop``, ``length``, ``tool_calls`` (then
    ``tool_calls`` holds the calls) or ``cancelled``."""

    text: str
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True)
class StreamDelta:
    """A piece of streamed answer text."""

    text: str
