"""Base classes of the six plugin kinds. A plugin subclasses one and is returned by a hook."""

from llamafarm_core.components.base import Component, PluginConfig
from llamafarm_core.components.embedder import Embedder, EmbedderConfig
from llamafarm_core.components.extractor import Extractor
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.parser import Parser, ParserConfig
from llamafarm_core.components.provider import ModelProvider
from llamafarm_core.components.retrieval import RetrievalStrategy
from llamafarm_core.components.store import VectorStore

__all__ = [
    "Component",
    "Embedder",
    "EmbedderConfig",
    "Extractor",
    "ModelProvider",
    "Parser",
    "ParserConfig",
    "PluginConfig",
    "PluginKind",
    "RetrievalStrategy",
    "VectorStore",
]
