"""``ollama``: models served by an Ollama daemon, through the official ``ollama`` client
(its native ``/api/chat``, so Ollama applies each model's own chat template)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from llamafarm_core.chat.trim import AnswerTrimmer
from llamafarm_core.chat.types import Completion, CompletionRequest, StreamDelta, Usage
from llamafarm_core.components.base import PluginConfig
from llamafarm_core.components.provider import ModelProvider
from llamafarm_core.config.envsubst import expand_str
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import ComponentUnavailable, LlamaFarmError, UpstreamError, UpstreamTimeout

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


class OllamaProvider(ModelProvider):
    """An Ollama daemon's ``/api/chat`` (official client)."""

    name = "ollama"
    Config: ClassVar[type[PluginConfig]] = OllamaConfig

    def __init__(self, config: PluginConfig, *, model: RuntimeModel, **context: Any) -> None:
        super().__init__(config, model=model, **context)
        self.model = model
        self.settings: OllamaConfig = config  # type: ignore[assignment]
        self.host = ollama_host(model.base_url)

    def _client(self) -> Any:
        try:
            from ollama import Client
        except ImportError:
            raise ComponentUnavailable("ollama provider: the ollama package is not installed") from None
        key = (self.host, self.settings.timeout)
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = Client(host=self.host, timeout=self.settings.timeout)
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
            "messages": [m.to_dict() for m in request.messages],
            "options": {k: v for k, v in options.items() if v is not None},
        }
        if self.settings.keep_alive:
            args["keep_alive"] = self.settings.keep_alive
        return args

    def complete(self, request: CompletionRequest) -> Completion:
        try:
            resp = self._client().chat(stream=False, **self._arguments(request))
        except Exception as err:
            raise self._translate(err) from None
        return Completion(
            (resp.message.content or "").strip(),
            _finish(resp.done_reason),
            Usage(resp.prompt_eval_count or 0, resp.eval_count or 0),
        )

    def stream(self, request: CompletionRequest) -> Iterator[StreamDelta | Completion]:
        text: list[str] = []
        final = Completion("")
        trim = AnswerTrimmer()
        try:
            parts = self._client().chat(stream=True, **self._arguments(request))
            try:
                for part in parts:
                    piece = trim.feed(part.message.content or "") if part.message else ""
                    if piece:
                        text.append(piece)
                        yield StreamDelta(piece)
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
        yield final

    def _translate(self, err: Exception) -> LlamaFarmError:
        """Client exceptions as the core's errors, naming the provider, URL and model."""
        import httpx
        import ollama

        where = f"ollama provider at {self.host} (model {self.model.model!r})"
        if isinstance(err, httpx.TimeoutException):
            return UpstreamTimeout(f"{where} did not answer within {self.settings.timeout:g}s")
        if isinstance(err, ConnectionError | httpx.TransportError):
            return UpstreamError(f"cannot reach {where}: is Ollama running?")
        if isinstance(err, ollama.ResponseError):
            return UpstreamError(f"{where} answered {err.status_code}: {err.error}")
        return UpstreamError(f"{where} failed: {type(err).__name__}: {err}")


def _finish(reason: str | None) -> str:
    return "length" if reason == "length" else "stop"
