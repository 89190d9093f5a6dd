"""Built-in retrievers, registered through the `llamafarm.plugins` entry point like any third-party plugin.

One component per module; this module only lists them. Importing it must stay cheap: heavy
libraries are imported inside the components, on first use.
"""

from __future__ import annotations

from llamafarm_core.plugin_api import hookimpl


@hookimpl
def register_retrieval_strategies() -> list[type]:
    from llamafarm_retrievers.basic import BasicSimilarityStrategy
    from llamafarm_retrievers.bm25 import BM25Strategy
    from llamafarm_retrievers.cross_encoder import CrossEncoderRerankedStrategy
    from llamafarm_retrievers.hybrid import HybridStrategy
    from llamafarm_retrievers.hybrid_universal import HybridUniversalStrategy
    from llamafarm_retrievers.metadata_filtered import MetadataFilteredStrategy
    from llamafarm_retrievers.multi_query import MultiQueryStrategy
    from llamafarm_retrievers.reranked import RerankedStrategy

    return [
        BasicSimilarityStrategy,
        MetadataFilteredStrategy,
        MultiQueryStrategy,
        RerankedStrategy,
        CrossEncoderRerankedStrategy,
        HybridUniversalStrategy,
        BM25Strategy,
        HybridStrategy,
    ]
