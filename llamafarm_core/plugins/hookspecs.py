"""The hooks a plugin package implements. Each returns component classes (not instances).

A plugin module does::

    from llamafarm_core.plugins import hookimpl

    @hookimpl
    def register_parsers():
        return [MyParser]

and names the module in its pyproject under ``[project.entry-points."llamafarm.plugins"]``.
"""

from __future__ import annotations

import pluggy

PROJECT = "llamafarm"
ENTRY_POINT_GROUP = "llamafarm.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_parsers() -> list[type]:  # type: ignore[empty-body]
    """Return :class:`llamafarm_core.components.Parser` subclasses."""


@hookspec
def register_extractors() -> list[type]:  # type: ignore[empty-body]
    """Return :class:`llamafarm_core.components.Extractor` subclasses."""


@hookspec
def register_embedders() -> list[type]:  # type: ignore[empty-body]
    """Return :class:`llamafarm_core.components.Embedder` subclasses."""


@hookspec
def register_vector_stores() -> list[type]:  # type: ignore[empty-body]
    """Return :class:`llamafarm_core.components.VectorStore` subclasses."""


@hookspec
def register_retrieval_strategies() -> list[type]:  # type: ignore[empty-body]
    """Return :class:`llamafarm_core.components.RetrievalStrategy` subclasses."""


@hookspec
def register_model_providers() -> list[type]:  # type: ignore[empty-body]
    """Return :class:`llamafarm_core.components.ModelProvider` subclasses."""
