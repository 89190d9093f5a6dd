"""``ollama``: models served by an Ollama daemon, through the official ``ollama`` client
(its native ``/api/chat``, so Ollama applies each model's own chat template)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from llamafarm_core.plugin_api import (
    AnswerTrimmer,
    ChatMessage,
    Completion,
    CompletionRequest,
    ComponentUnavailable,
    LlamaFarmError,
    ModelProvider,
    PluginConfig,
    Role,
    RuntimeModel,
    StreamDelta,
    ToolCall,
    UpstreamError,
    UpstreamTimeout,
    Usage,
    expand_str,
)

DEFAULT_HOST = "http://localhost:11434"


class OllamaConfig(PluginConfig):
    """``provider_config`` of an ``ollama`` model (all optional)."""

    timeout: float = Field(120.0, gt=0, description="seconds before a request is a 504")
    keep_alive: str | None = Field(None, description="how long Ollama keeps the model loaded, e.g. '5m'")


_CLIENTS: dict[tuple[str, float], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def ollama_host(base_url: str | None) -> str:
    """The daemon's root URL; configs written for Ollama's OpenAI API end in ``/v1``."""
    host = expand_str(base_url or DEFAULT_HOST).rstrip("/")
    return host.removesuffix("/v1")


class OllamaProvider(ModelProvider[OllamaConfig]):
    """An Ollama daemon's ``/api/chat`` (official client)."""

    name = "ollama"
    features: ClassVar[frozenset[str]] = frozenset({"tools", "response_format"})

    def __init__(self, config: OllamaConfig, *, model: RuntimeModel, **context: Any) -> None:
        super().__init__(config, model=model, **context)
        self.model = model
        self.host = ollama_host(model.base_url)

    def egress_targets(self) -> list[str]:
        return [self.host]

    def _client(self) -> Any:
        try:
            from ollama import Client
        except ImportError:
            raise ComponentUnavailable("ollama provider: the ollama package is not installed") from None
        key = (self.host, self.config.timeout)
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = Client(host=self.host, timeout=self.config.timeout)
        return client

    def _arguments(self, request: CompletionRequest) -> dict[str, Any]:
        options: dict[str, Any] = {
            "num_predict": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "top_k": request.top_k,
            "stop": request.stop or None,
            "seed": request.seed,
            "presence_penalty": request.presence_penalty,
            "frequency_penalty": request.frequency_penalty,
            **request.extra,
        }
        args: dict[str, Any] = {
            "model": self.model.model,
            "messages": [_message(m) for m in request.messages],
            "options": {k: v for k, v in options.items() if v is not None},
        }
        if request.tools and request.tool_choice != "none":
            args["tools"] = request.tools  # Ollama takes OpenAI's function tool format
        fmt = _format(request.response_format)
        if fmt is not None:
            args["format"] = fmt
        if self.config.keep_alive:
            args["keep_alive"] = self.config.keep_alive
        return args

    def complete(self, request: CompletionRequest) -> Completion:
        try:
            resp = self._client().chat(stream=False, **self._arguments(request))
        except Exception as err:
            raise self._translate(err) from None
        calls = _tool_calls(resp.message)
        return Completion(
            (resp.message.content or "").strip(),
            "tool_calls" if calls else _finish(resp.done_reason),
            Usage(resp.prompt_eval_count or 0, resp.eval_count or 0),
            calls,
        )

    def stream(self, request: CompletionRequest) -> Iterator[StreamDelta | Completion]:
        text: list[str] = []
        final = Completion("")
        calls: list[ToolCall] = []
        trim = AnswerTrimmer()
        try:
            parts = self._client().chat(stream=True, **self._arguments(request))
            try:
                for part in parts:
                    piece = trim.feed(part.message.content or "") if part.message else ""
                    if piece:
                        text.append(piece)
                        yield StreamDelta(piece)
                    calls += _tool_calls(part.message)
                    if part.done:
                        final = Completion(
                            "",
                            _finish(part.done_reason),
                            Usage(part.prompt_eval_count or 0, part.eval_count or 0),
                        )
                    if request.cancelled():
                        final.finish_reason = "cancelled"
                        break
            finally:
                parts.close()
        except LlamaFarmError:
            raise
        except Exception as err:
            raise self._translate(err) from None
        final.text = "".join(text)
        if calls and final.finish_reason != "cancelled":
            final.tool_calls, final.finish_reason = calls, "tool_calls"
        yield final

    def _translate(self, err: Exception) -> LlamaFarmError:
        """Client exceptions as the core's errors, naming the provider, URL and model."""
        import httpx
        import ollama

        where = f"ollama provider at {self.host} (model {self.model.model!r})"
        if isinstance(err, httpx.TimeoutException):
            return UpstreamTimeout(f"{where} did not answer within {self.config.timeout:g}s")
        if isinstance(err, ConnectionError | httpx.TransportError):
            return UpstreamError(f"cannot reach {where}: is Ollama running?")
        if isinstance(err, ollama.ResponseError):
            return UpstreamError(f"{where} answered {err.status_code}: {err.error}")
        return UpstreamError(f"{where} failed: {type(err).__name__}: {err}")


def _message(m: ChatMessage) -> dict[str, Any]:
    """Ollama's message shape: tool-call arguments as objects, tool results by name."""
    out: dict[str, Any] = {"role": m.role.value, "content": m.content}
    if m.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": _json_object(c.arguments)}} for c in m.tool_calls
        ]
    if m.role is Role.TOOL and m.name:
        out["tool_name"] = m.name
    return out


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _tool_calls(message: Any) -> list[ToolCall]:
    """Ollama gives no call ids and arguments as objects; OpenAI clients want both as text."""
    out = []
    for call in getattr(message, "tool_calls", None) or []:
        function = call.function
        out.append(
            ToolCall(
                f"call_{uuid.uuid4().hex[:24]}", function.name, json.dumps(dict(function.arguments or {}))
            )
        )
    return out


def _format(response_format: dict[str, Any] | None) -> str | dict[str, Any] | None:
    """OpenAI's ``response_format`` as Ollama's ``format``: ``json`` or a JSON schema."""
    kind = (response_format or {}).get("type", "text")
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        schema = (response_format or {}).get("json_schema") or {}
        return dict(schema.get("schema") or {"type": "object"})
    return None


def _finish(reason: str | None) -> str:
    return "length" if reason == "length" else "stop"
