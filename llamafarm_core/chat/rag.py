"""RAG in chat: whether a turn retrieves, the sources it found, and the context message.

The context goes into the system prompt of the one turn that retrieved it and is never
stored in the session history (small models get confused by stale context).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from llamafarm_core.config.models import LlamaFarmConfig
from llamafarm_core.documents import CHUNK_INDEX, DOCUMENT_ID, FILE_HASH, FILENAME, PAGE
from llamafarm_core.errors import BadRequest
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings
from llamafarm_core.vectors import SearchHit

CONTEXT_HEADER = (
    "Use the following context to answer the user's question. "
    "If the context doesn't contain the answer, say so."
)


@dataclass
class RagOptions:
    """The request's RAG fields; None means "the project's default"."""

    enabled: bool | None = None
    database: str | None = None
    top_k: int | None = None
    score_threshold: float | None = None


class Source(BaseModel):
    """A retrieved chunk an answer used (the ``sources`` extension of a chat response; this
    model is the response's too, its field order the wire format)."""

    content: str
    score: float
    filename: str | None = None
    page: int | None = None
    chunk_id: str
    document_id: str | None = None
    chunk_index: int | None = None

    @classmethod
    def from_hit(cls, hit: SearchHit) -> Source:
        meta = hit.metadata
        return cls(
            content=hit.text,
            score=round(float(hit.score), 6),
            chunk_id=hit.id,
            filename=_str_or_none(meta.get(FILENAME)),
            page=_int_or_none(meta.get(PAGE)),
            document_id=_str_or_none(meta.get(DOCUMENT_ID) or meta.get(FILE_HASH)),
            chunk_index=_int_or_none(meta.get(CHUNK_INDEX)),
        )

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def label(self) -> str:
        parts = [self.filename or self.document_id or self.chunk_id]
        if self.page is not None:
            parts.append(f"page {self.page}")
        return ", ".join(parts) + f" (score {self.score:.2f})"


def rag_database(config: LlamaFarmConfig, options: RagOptions) -> str | None:
    """The database this turn retrieves from, or None when the turn doesn't retrieve.

    On by default when the project has a database; ``enabled: false`` turns it off;
    ``enabled: true`` without any database, or an unknown ``database``, is a 400.
    """
    databases = [d.name for d in config.rag.databases] if config.rag else []
    if options.enabled is False:
        return None
    if not databases:
        if options.enabled or options.database:
            raise BadRequest("RAG was requested but the project has no rag.databases configured")
        return None
    assert config.rag is not None
    return config.rag.require_database(options.database).name


def retrieve_sources(
    settings: Settings, registry: Registry, project: Project, query: str, database: str, options: RagOptions
) -> list[Source]:
    """Run the project's retrieval for ``query`` on ``database``; best first."""
    from llamafarm_core.chat.retrieval_adapter import search

    hits = search(settings, registry, project, query, database, options.top_k, options.score_threshold)
    return [Source.from_hit(h) for h in hits]


def context_text(sources: list[Source]) -> str:
    """The system-prompt block holding the retrieved chunks, numbered with their origin."""
    blocks = [f"[{i}] {s.label()}\n{s.content.strip()}" for i, s in enumerate(sources, 1)]
    return CONTEXT_HEADER + "\n\n" + "\n\n".join(blocks)


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None
