"""The original LlamaFarm's ``UniversalEmbedder``: an OpenAI-style endpoint of its universal runtime."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from llamafarm_embedders.openai_embedder import OpenAIEmbedder, OpenAIEmbedderConfig

UNIVERSAL_RUNTIME_URL = "http://127.0.0.1:11540/v1"


class UniversalEmbedderConfig(OpenAIEmbedderConfig):
    model: str = Field("nomic-ai/nomic-embed-text-v2-moe", description="The model name the runtime knows.")
    base_url: str | None = Field(
        UNIVERSAL_RUNTIME_URL, description="The universal runtime (or any OpenAI-compatible server)."
    )


class UniversalEmbedder(OpenAIEmbedder[UniversalEmbedderConfig]):
    """Like ``openai``, defaulting to the original's universal runtime at 127.0.0.1:11540.

    Nothing in this project starts that runtime: point ``base_url`` at a server you run (any
    OpenAI-compatible one), or switch the strategy to ``sentence_transformers``. With nothing
    listening, embedding fails at once with "cannot reach ... (no HTTP answer ...)".
    """

    name: ClassVar[str] = "universal"
    aliases: ClassVar[tuple[str, ...]] = ("UniversalEmbedder",)
    description: ClassVar[str] = "The original's universal runtime (an OpenAI-style endpoint)"
    label: ClassVar[str] = "UniversalEmbedder"
    default_base_url: ClassVar[str | None] = UNIVERSAL_RUNTIME_URL
