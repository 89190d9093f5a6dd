"""Retrieval strategies turn a query into ranked hits."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar, Literal

from llamafarm_core.components.base import Component, ConfigT
from llamafarm_core.vectors import SearchHit

if TYPE_CHECKING:
    from llamafarm_core.retrieval.context import RetrievalContext
    from llamafarm_core.retrieval.request import RetrievalRequest

#: How a strategy takes a request's ``hybrid_alpha``: ``wrap`` (the default) runs it as the
#: vector side of a hybrid; ``native`` reads it itself; ``lexical`` is BM25 alone, to which
#: the hybrid adds the vector side.
HybridAlphaMode = Literal["wrap", "native", "lexical"]


class RetrievalStrategy(Component[ConfigT]):
    """Ranks chunks of one database for a query.

    ``ctx`` gives the store, embedder, lexical index, an LLM for query expansion, and the
    registry for nested strategies.
    """

    hybrid_alpha_mode: ClassVar[HybridAlphaMode] = "wrap"

    @abstractmethod
    def retrieve(self, request: RetrievalRequest, ctx: RetrievalContext) -> list[SearchHit]: ...
