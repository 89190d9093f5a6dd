"""Retrieval: the lexical index, requests/contexts for strategies, and the query service.

``service.query`` answers a RAG query (see :mod:`llamafarm_core.retrieval.service`);
``inventory`` reports health and contents of the databases.
"""

from llamafarm_core.retrieval.request import RetrievalRequest, RetrievalResult

__all__ = ["RetrievalRequest", "RetrievalResult"]
