"""``openai`` (aliases ``universal``, ``lemonade``): any OpenAI-compatible chat completions
API through the official ``openai`` SDK — OpenAI itself, vLLM, llama.cpp's server, LM Studio,
Lemonade. ``base_url`` and ``api_key`` come from the model entry (``${VAR}`` expanded at
use, so a secret never lands in a file or a response)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from llamafarm_core.plugin_api import (
    AnswerTrimmer,
    Completion,
    CompletionRequest,
    ComponentUnavailable,
    LlamaFarmError,
    ModelProvider,
    PluginConfig,
    RuntimeModel,
    StreamDelta,
    ToolCall,
    UpstreamError,
    UpstreamTimeout,
    Usage,
    expand,
    expand_str,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Servers on localhost ignore the key, but the SDK refuses to start without one.
NO_KEY = "not-needed"


class OpenAIConfig(PluginConfig):
    """``provider_config`` of an ``openai`` model (all optional)."""

    timeout: float = Field(120.0, gt=0, description="seconds before a request is a 504")
    max_retries: int = Field(0, ge=0, le=10, description="SDK retries on connection errors and 5xx")
    stream_usage: bool = Field(
        True, description="ask for token usage at the end of a stream (stream_options.include_usage)"
    )


_CLIENTS: dict[tuple[str, str, float, int], Any] = {}
_CLIENTS_LOCK = threading.Lock()


class OpenAIProvider(ModelProvider[OpenAIConfig]):
    """OpenAI-compatible chat completions over HTTP (official SDK)."""

    name = "openai"
    aliases = ("universal", "lemonade", "openai_compatible")
    features: ClassVar[frozenset[str]] = frozenset(
        {"tools", "tool_choice", "response_format", "content_parts"}
    )

    def __init__(self, config: OpenAIConfig, *, model: RuntimeModel, **context: Any) -> None:
        super().__init__(config, model=model, **context)
        self.model = model
        self.base_url = expand_str(model.base_url or DEFAULT_BASE_URL).rstrip("/")

    def egress_targets(self) -> list[str]:
        return [self.base_url]

    def _client(self) -> Any:
        try:
            from openai import OpenAI
        except ImportError:
            raise ComponentUnavailable("openai provider: the openai package is not installed") from None
        api_key = expand_str(self.model.api_key) if self.model.api_key else ""
        key = (self.base_url, api_key or NO_KEY, self.config.timeout, self.config.max_retries)
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = OpenAI(
                    base_url=self.base_url,
                    api_key=api_key or NO_KEY,
                    timeout=self.config.timeout,
                    max_retries=self.config.max_retries,
                )
        return client

    def _arguments(self, request: CompletionRequest) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": self.model.model,
            "messages": [m.to_dict() for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stop": request.stop or None,
            "seed": request.seed,
            "presence_penalty": request.presence_penalty,
            "frequency_penalty": request.frequency_penalty,
            "tools": request.tools or None,
            "tool_choice": request.tool_choice if request.tools else None,
            "response_format": request.response_format,
        }
        extra_body = dict(expand(dict(self.model.extra_body or {})))
        if request.top_k is not None:
            extra_body["top_k"] = request.top_k  # not an OpenAI field; vLLM and llama.cpp take it
        extra_body.update(request.extra)
        if extra_body:
            args["extra_body"] = extra_body
        return {k: v for k, v in args.items() if v is not None}

    def complete(self, request: CompletionRequest) -> Completion:
        try:
            resp = self._client().chat.completions.create(**self._arguments(request))
        except Exception as err:
            raise self._translate(err) from None
        choice = resp.choices[0] if resp.choices else None
        usage = Usage(resp.usage.prompt_tokens, resp.usage.completion_tokens) if resp.usage else Usage()
        text = (choice.message.content or "") if choice else ""
        calls = [
            ToolCall(c.id, c.function.name, c.function.arguments or "{}")
            for c in (choice.message.tool_calls or [] if choice else [])
            if getattr(c, "function", None) is not None
        ]
        finish = (choice.finish_reason if choice else None) or "stop"
        return Completion(text.strip(), "tool_calls" if calls else finish, usage, calls)

    def stream(self, request: CompletionRequest) -> Iterator[StreamDelta | Completion]:
        args = self._arguments(request)
        if self.config.stream_usage:
            args["stream_options"] = {"include_usage": True}
        text: list[str] = []
        finish, usage = "stop", Usage()
        calls: dict[int, dict[str, str]] = {}  # tool calls arrive in pieces, by index
        trim = AnswerTrimmer()
        try:
            chunks = self._client().chat.completions.create(stream=True, **args)
            try:
                for chunk in chunks:
                    if chunk.usage:
                        usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    for choice in chunk.choices:
                        piece = trim.feed(choice.delta.content or "") if choice.delta else ""
                        if piece:
                            text.append(piece)
                            yield StreamDelta(piece)
                        for part in (choice.delta.tool_calls or []) if choice.delta else []:
                            call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                            call["id"] = part.id or call["id"]
                            if part.function is not None:
                                call["name"] += part.function.name or ""
                                call["arguments"] += part.function.arguments or ""
                        finish = choice.finish_reason or finish
                    if request.cancelled():
                        finish = "cancelled"
                        break
            finally:
                chunks.close()
        except LlamaFarmError:
            raise
        except Exception as err:
            raise self._translate(err) from None
        tool_calls = [
            ToolCall(c["id"] or f"call_{i}", c["name"], c["arguments"] or "{}")
            for i, c in sorted(calls.items())
            if c["name"]
        ]
        if tool_calls and finish != "cancelled":
            finish = "tool_calls"
        yield Completion("".join(text), finish, usage, tool_calls)

    def _translate(self, err: Exception) -> LlamaFarmError:
        """SDK exceptions as the core's errors, naming the provider, URL and model."""
        import openai

        where = f"openai provider at {self.base_url} (model {self.model.model!r})"
        if isinstance(err, openai.APITimeoutError):
            return UpstreamTimeout(f"{where} did not answer within {self.config.timeout:g}s")
        if isinstance(err, openai.APIConnectionError):
            return UpstreamError(f"cannot reach {where}: {err}")
        if isinstance(err, openai.APIStatusError):
            return UpstreamError(f"{where} answered {err.status_code}: {err.message}")
        if isinstance(err, openai.APIError):
            return UpstreamError(f"{where} failed: {err.message}")
        return UpstreamError(f"{where} failed: {type(err).__name__}: {err}")
