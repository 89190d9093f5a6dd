"""Embedders turn texts into vectors."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field
from typing_extensions import TypeVar

from llamafarm_core.components.base import Component, PluginConfig


class EmbedderConfig(PluginConfig):
    batch_size: int = Field(32, gt=0)


EmbedderConfigT = TypeVar("EmbedderConfigT", bound=EmbedderConfig, default=EmbedderConfig, covariant=True)


class Embedder(Component[EmbedderConfigT]):
    """Embeds batches of texts. ``model_id`` and ``dimension`` are recorded per collection,
    so that a database is never mixed with vectors from another model."""

    Config: ClassVar[type[EmbedderConfig]] = EmbedderConfig

    @property
    @abstractmethod
    def model_id(self) -> str:
        """A stable identifier of the model (provider + model name)."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Raise UpstreamError/ComponentUnavailable on failure."""

    def embed_query(self, text: str) -> list[float]:
        """A search query's vector; the default is :meth:`embed` of the one text. An embedder
        may compute it another way (the bundled one may use a faster arithmetic for one
        text than for batches) as long as it searches the same vectors."""
        return self.embed([text])[0]

    def dimension(self) -> int:
        """The vector size; the default embeds a probe text."""
        return len(self.embed(["dimension probe"])[0])

    def check(self) -> None:
        """Raise ComponentUnavailable when the model can't be loaded or reached."""
        self.dimension()
