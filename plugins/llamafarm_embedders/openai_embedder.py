"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint, via the official SDK."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field
from typing_extensions import TypeVar

from llamafarm_core.plugin_api import (
    ComponentUnavailable,
    Embedder,
    EmbedderConfig,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnreachable,
    may_send_env_key,
)
from llamafarm_embedders.batching import batched, check_vectors, connection_reason

OPENAI_URL = "https://api.openai.com/v1"
# Local OpenAI-compatible servers (llama.cpp, vLLM, LM Studio) want some key, not a real one.
PLACEHOLDER_KEY = "sk-no-key-required"


class OpenAIEmbedderConfig(EmbedderConfig):
    model: str = Field("text-embedding-3-small", description="The model name the server knows.")
    api_key: str | None = Field(
        None, description="Default: $OPENAI_API_KEY, else a placeholder for local servers."
    )
    base_url: str | None = Field(
        None, description="An OpenAI-compatible server, e.g. http://localhost:8080/v1."
    )
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for one batch.")
    connect_timeout: float = Field(3.0, gt=0, description="Seconds to wait for a connection.")
    max_retries: int = Field(1, ge=0, le=5, description="SDK retries on connection errors, 429 and 5xx.")
    dimension: int | None = Field(None, gt=0, description="Expected vector size; checked against the model.")
    send_dimensions: bool = Field(
        False, description="Also ask the server for `dimension` (the OpenAI `dimensions` parameter)."
    )


OpenAIConfigT = TypeVar(
    "OpenAIConfigT", bound=OpenAIEmbedderConfig, default=OpenAIEmbedderConfig, covariant=True
)


class OpenAIEmbedder(Embedder[OpenAIConfigT]):
    """Embeds through an OpenAI-compatible endpoint (OpenAI, llama.cpp server, vLLM, ...).

    ``auto_pull`` (set by configs written for the original) is accepted and ignored.
    """

    name: ClassVar[str] = "openai"
    aliases: ClassVar[tuple[str, ...]] = ("OpenAIEmbedder",)
    description: ClassVar[str] = "Any OpenAI-compatible /v1/embeddings endpoint"
    Config: ClassVar[type[EmbedderConfig]] = OpenAIEmbedderConfig
    ignored_keys: ClassVar[frozenset[str]] = frozenset({"auto_pull"})
    label: ClassVar[str] = "OpenAIEmbedder"
    default_base_url: ClassVar[str | None] = None

    def __init__(self, config: OpenAIConfigT, **context: object) -> None:
        super().__init__(config, **context)
        self.url = (
            config.base_url or self.default_base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL
        ).rstrip("/")
        self._client: Any = None

    def egress_targets(self) -> list[str]:
        return [self.url]

    @property
    def model_id(self) -> str:
        return (
            f"openai:{self.config.model}"
            if self.url == OPENAI_URL
            else f"openai:{self.url}:{self.config.model}"
        )

    def _env_key(self) -> str | None:
        """The server's $OPENAI_API_KEY, only for OpenAI itself or a host the operator listed
        in LF_ALLOWED_EGRESS (never for a URL a config merely points at, loopback included)."""
        return os.environ.get("OPENAI_API_KEY") if may_send_env_key(self.url, OPENAI_URL) else None

    def client(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self.config.api_key or self._env_key() or PLACEHOLDER_KEY,
                base_url=self.url,
                timeout=openai.Timeout(self.config.timeout, connect=self.config.connect_timeout),
                max_retries=self.config.max_retries,
            )
        return self._client

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for batch in batched(texts, self.config.batch_size):
            vectors.extend(check_vectors(self.label, self._request(batch), len(batch), self.config.dimension))
        return vectors

    def dimension(self) -> int:
        return self.config.dimension or super().dimension()

    def check(self) -> None:
        self.embed(["dimension probe"])

    def _request(self, batch: list[str]) -> list[list[float]]:
        import openai

        extra: dict[str, Any] = {}
        if self.config.send_dimensions and self.config.dimension:
            extra["dimensions"] = self.config.dimension
        try:
            response = self.client().embeddings.create(
                model=self.config.model, input=batch, encoding_format="float", **extra
            )
        except openai.APITimeoutError:
            raise UpstreamTimeout(
                f"{self.label}: {self.url} did not answer within {self.config.timeout:g}s"
            ) from None
        except openai.APIConnectionError as err:
            raise UpstreamUnreachable(
                f"{self.label}: cannot reach {self.url} ({connection_reason(err)})"
            ) from None
        except openai.AuthenticationError:
            raise UpstreamError(
                f"{self.label}: {self.url} rejected the API key (401); set api_key or OPENAI_API_KEY"
            ) from None
        except openai.NotFoundError as err:
            raise ComponentUnavailable(
                f"{self.label}: {self.url} answered 404 for model {self.config.model!r} ({_message(err)}); "
                "check the model name and base_url (OpenAI-style servers usually end in /v1)"
            ) from None
        except openai.APIStatusError as err:
            raise UpstreamError(
                f"{self.label}: {self.url} answered {err.status_code}: {_message(err)}"
            ) from None
        data = sorted(response.data, key=lambda d: d.index)
        return [list(d.embedding) for d in data]


def _message(err: Any) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(err, "message", err))
