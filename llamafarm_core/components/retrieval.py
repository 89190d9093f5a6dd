"""Retrieval strategies turn a query into ranked hits."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from llamafarm_core.components.base import Component
from llamafarm_core.vectors import SearchHit


class RetrievalStrategy(Component):
    """Ranks chunks of one database for a query.

    ``request`` and ``ctx`` are :class:`llamafarm_core.retrieval.RetrievalRequest` and
    :class:`llamafarm_core.retrieval.RetrievalContext` (the store, embedder, lexical index,
    an LLM for query expansion, and the registry for nested strategies).
    """

    @abstractmethod
    def retrieve(self, request: Any, ctx: Any) -> list[SearchHit]: ...
