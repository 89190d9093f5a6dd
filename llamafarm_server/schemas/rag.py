"""Request and response bodies of the RAG API (``…/rag/*``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llamafarm_core.limits import Fraction, TokenCount, TopK
from llamafarm_core.retrieval.inventory import DatabaseSummary, StoredDocument


class RagQueryBody(BaseModel):
    """``POST …/rag/query``. Every field but ``query`` is optional; see docs/retrieval.md."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, description="The search text.")
    database: str | None = Field(
        None, description="Database name (default: rag.default_database, else the first)."
    )
    top_k: TopK | None = Field(None, description="Results to return (default: the strategy's, else 5).")
    score_threshold: Fraction | None = Field(None, description="Minimum score; scores are in [0, 1].")
    retrieval_strategy: str | None = Field(
        None,
        description="A configured strategy name of the database, or a strategy type (basic, hybrid, bm25, …).",
    )
    metadata_filters: dict[str, Any] | None = Field(
        None,
        description='{"key": value} equal, {"key": [v1, v2]} in, {"key": {"$ne"|"$in"|"$nin"|"$gt"|"$gte"|"$lt"|"$lte": v}}.',
    )
    distance_metric: str | None = Field(None, description="cosine, dot, euclidean or manhattan.")
    hybrid_alpha: Fraction | None = Field(
        None, description="Vector weight against BM25: 1 vector only, 0 BM25 only."
    )
    rerank_model: str | None = Field(None, description="Local path of a sentence-transformers CrossEncoder.")
    query_expansion: bool | None = Field(None, description="Also search LLM-written variants of the query.")
    max_tokens: TokenCount | None = Field(
        None, description="Token budget of the returned contents, in rank order."
    )


class RagResult(BaseModel):
    content: str
    score: float
    metadata: dict[str, Any]
    chunk_id: str
    document_id: str


class RagQueryResponse(BaseModel):
    query: str
    results: list[RagResult]
    total_results: int
    processing_time_ms: float
    retrieval_strategy_used: str
    database_used: str
    warnings: list[str] = Field(default_factory=list)


class HealthQuery(BaseModel):
    database: str | None = None


class RagDatabaseList(BaseModel):
    databases: list[DatabaseSummary]
    default_database: str | None
    total: int


class RagDocumentList(BaseModel):
    database: str
    documents: list[StoredDocument]
    total: int
    total_chunks: int
