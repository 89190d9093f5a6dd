"""Built-in embedders, registered through the `llamafarm.plugins` entry point like any third-party plugin.

One component per module; this module only lists them. Importing it must stay cheap: heavy
libraries are imported inside the components, on first use.
"""

from __future__ import annotations

from llamafarm_core.plugin_api import hookimpl


@hookimpl
def register_embedders() -> list[type]:
    from llamafarm_embedders.ollama_embedder import OllamaEmbedder
    from llamafarm_embedders.openai_embedder import OpenAIEmbedder
    from llamafarm_embedders.sentence_transformer import SentenceTransformerEmbedder
    from llamafarm_embedders.universal_embedder import UniversalEmbedder

    return [SentenceTransformerEmbedder, OllamaEmbedder, OpenAIEmbedder, UniversalEmbedder]
