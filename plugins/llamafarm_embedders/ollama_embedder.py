"""Embeddings from an Ollama server through the official ``ollama`` client (``/api/embed``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from pydantic import Field

from llamafarm_core.plugin_api import (
    ComponentUnavailable,
    Embedder,
    EmbedderConfig,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from llamafarm_embedders.batching import batched, check_vectors, connection_reason

T = TypeVar("T")
LABEL = "OllamaEmbedder"


class OllamaEmbedderConfig(EmbedderConfig):
    model: str = Field("nomic-embed-text", description="An Ollama embedding model, e.g. nomic-embed-text.")
    base_url: str = Field("http://localhost:11434", description="The Ollama server (native API, not /v1).")
    dimension: int | None = Field(None, gt=0, description="Expected vector size; checked against the model.")
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for one batch.")
    auto_pull: bool = Field(False, description="Pull the model once if the server doesn't have it.")
    truncate: bool = Field(True, description="Let Ollama cut inputs longer than the model's context.")


def ollama_model_name(model: str) -> str:
    """Ollama's canonical name: a missing tag means ``latest``."""
    return model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"


class OllamaEmbedder(Embedder[OllamaEmbedderConfig]):
    """Embeds with a model served by Ollama.

    With ``auto_pull`` a model the server lacks is pulled once (this embedder instance waits
    for the download, without a read timeout) and the request is retried.
    """

    name: ClassVar[str] = "ollama"
    aliases: ClassVar[tuple[str, ...]] = ("OllamaEmbedder",)
    description: ClassVar[str] = "Ollama embedding models over Ollama's native API"

    def __init__(self, config: OllamaEmbedderConfig, **context: object) -> None:
        super().__init__(config, **context)
        self.url = _native_url(config.base_url)
        self._client: Any = None
        self._pull_tried = False

    def egress_targets(self) -> list[str]:
        return [self.url]

    @property
    def model_id(self) -> str:
        return f"ollama:{ollama_model_name(self.config.model)}"

    def client(self) -> Any:
        if self._client is None:
            import httpx
            import ollama

            self._client = ollama.Client(
                host=self.url, timeout=httpx.Timeout(self.config.timeout, connect=5.0)
            )
        return self._client

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for batch in batched(texts, self.config.batch_size):
            response = self._call(functools.partial(self._embed_batch, batch))
            vectors.extend(check_vectors(LABEL, response.embeddings, len(batch), self.config.dimension))
        return vectors

    def _embed_batch(self, batch: list[str]) -> Any:
        return self.client().embed(model=self.config.model, input=batch, truncate=self.config.truncate)

    def dimension(self) -> int:
        return self.config.dimension or super().dimension()

    def check(self) -> None:
        self.embed(["dimension probe"])

    def _call(self, request: Callable[[], T]) -> T:
        """Run ``request``, mapping failures to the core's errors; pull and retry once if
        the model is missing and ``auto_pull`` is on."""
        import httpx
        import ollama

        try:
            return request()
        except ollama.ResponseError as err:
            if err.status_code == 404 and "not found" in str(err.error).lower():
                if self.config.auto_pull and not self._pull_tried:
                    self._pull()
                    return self._call(request)
                raise ComponentUnavailable(
                    f"{LABEL}: model {self.config.model!r} is not available at {self.url}; run "
                    f"`ollama pull {self.config.model}` there or set auto_pull: true"
                ) from None
            raise UpstreamError(
                f"{LABEL}: Ollama at {self.url} answered {err.status_code}: {err.error}"
            ) from None
        except httpx.TimeoutException:
            raise UpstreamTimeout(
                f"{LABEL}: Ollama at {self.url} did not answer within {self.config.timeout:g}s"
            ) from None
        except (ConnectionError, httpx.TransportError) as err:
            raise UpstreamUnreachable(
                f"{LABEL}: cannot reach Ollama at {self.url} ({connection_reason(err)})"
            ) from None

    def _pull(self) -> None:
        import httpx
        import ollama

        self._pull_tried = True
        puller = ollama.Client(host=self.url, timeout=httpx.Timeout(None, connect=5.0))
        try:
            puller.pull(self.config.model, stream=False)
        except ollama.ResponseError as err:
            raise ComponentUnavailable(
                f"{LABEL}: model {self.config.model!r} is not at {self.url} and pulling it failed: {err.error}"
            ) from None
        except (ConnectionError, httpx.TransportError) as err:
            raise UpstreamUnreachable(
                f"{LABEL}: cannot reach Ollama at {self.url} ({connection_reason(err)})"
            ) from None
        finally:
            puller.close()


def _native_url(base_url: str) -> str:
    """Ollama's native API lives at the root; tolerate a pasted ``/v1`` or ``/api`` suffix."""
    url = base_url.rstrip("/")
    for suffix in ("/v1", "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url
