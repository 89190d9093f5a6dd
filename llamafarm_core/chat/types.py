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


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role.value, "content": self.content}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        return cls(Role(data["role"]), str(data["content"]))


@dataclass
class CompletionRequest:
    """What a provider runs. ``None`` means "the provider's own default".

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
    """A finished answer. ``finish_reason`` is ``stop``, ``length`` or ``cancelled``."""

    text: str
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class StreamDelta:
    """A piece of streamed answer text."""

    text: str
