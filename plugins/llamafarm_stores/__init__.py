"""Built-in stores, registered through the `llamafarm.plugins` entry point like any third-party plugin.

One component per module; this module only lists them. Importing it must stay cheap: heavy
libraries are imported inside the components, on first use.
"""

from __future__ import annotations

from llamafarm_core.plugin_api import hookimpl


@hookimpl
def register_vector_stores() -> list[type]:
    from llamafarm_stores.chroma_store import ChromaStore
    from llamafarm_stores.qdrant_store import QdrantStore

    return [ChromaStore, QdrantStore]
