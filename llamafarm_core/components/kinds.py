"""The plugin kinds, each with its hook name and base class."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llamafarm_core.components.base import Component


class PluginKind(str, Enum):
    PARSER = "parser"
    EXTRACTOR = "extractor"
    EMBEDDER = "embedder"
    VECTOR_STORE = "vector_store"
    RETRIEVAL_STRATEGY = "retrieval_strategy"
    MODEL_PROVIDER = "model_provider"

    @property
    def hook_name(self) -> str:
        return HOOK_NAMES[self]

    @property
    def base_class(self) -> type[Component]:
        from llamafarm_core import components

        bases: dict[PluginKind, type[Component]] = {
            PluginKind.PARSER: components.Parser,
            PluginKind.EXTRACTOR: components.Extractor,
            PluginKind.EMBEDDER: components.Embedder,
            PluginKind.VECTOR_STORE: components.VectorStore,
            PluginKind.RETRIEVAL_STRATEGY: components.RetrievalStrategy,
            PluginKind.MODEL_PROVIDER: components.ModelProvider,
        }
        return bases[self]


HOOK_NAMES = {
    PluginKind.PARSER: "register_parsers",
    PluginKind.EXTRACTOR: "register_extractors",
    PluginKind.EMBEDDER: "register_embedders",
    PluginKind.VECTOR_STORE: "register_vector_stores",
    PluginKind.RETRIEVAL_STRATEGY: "register_retrieval_strategies",
    PluginKind.MODEL_PROVIDER: "register_model_providers",
}
