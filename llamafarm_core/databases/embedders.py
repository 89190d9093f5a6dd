"""Embedders are expensive to load (a model in memory): one instance per config per process."""

from __future__ import annotations

import json
import threading
from functools import cache

from llamafarm_core import egress
from llamafarm_core.components.embedder import Embedder
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import EmbeddingStrategy
from llamafarm_core.plugins.registry import Registry, narrow


class EmbedderCache:
    """Built embedders keyed by (class, validated config). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], Embedder] = {}

    def get(self, registry: Registry, strategy: EmbeddingStrategy, *, where: str) -> Embedder:
        """The embedder of an ``embedding_strategies[]`` entry (built on first use).

        Raises PluginError (a 400) when its type is unknown or its config is invalid.
        """
        built = registry.validate_config(PluginKind.EMBEDDER, strategy.type, strategy.config, where=where)
        cls = registry.get(PluginKind.EMBEDDER, strategy.type).cls
        key = (
            f"{cls.__module__}.{cls.__qualname__}",
            json.dumps(built.config.model_dump(mode="json"), sort_keys=True, default=str),
        )
        with self._lock:
            cached = self._items.get(key)
            if cached is None:
                cached = self._items[key] = narrow(cls(built.config), Embedder, where)
        egress.check_component(cached, where)
        return cached

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@cache
def default_embedder_cache() -> EmbedderCache:
    """The process-wide cache (created on first use)."""
    return EmbedderCache()
