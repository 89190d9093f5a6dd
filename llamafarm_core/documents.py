"""Typed values that flow through ingestion: a stored source file and the chunks made from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Metadata keys every chunk carries (set by the pipeline, not by parsers).
FILE_HASH = "file_hash"
FILENAME = "filename"
CHUNK_INDEX = "chunk_index"
PAGE = "page"
DOCUMENT_ID = "document_id"


@dataclass(frozen=True)
class SourceFile:
    """A stored upload. ``path`` is the content-addressed blob; ``filename`` the original name.

    Parsers read ``path`` (or :meth:`read_bytes`) and choose behaviour by ``filename``'s
    extension, never by the stored name.
    """

    file_hash: str
    filename: str
    path: Path
    size: int
    mime_type: str = "application/octet-stream"

    @property
    def extension(self) -> str:
        """Lower-case extension with the dot (``.pdf``), or '' when there is none."""
        name = self.filename.rsplit("/", 1)[-1]
        return "." + name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class Chunk:
    """A piece of text and its metadata. Extractors add keys to ``metadata`` in place.

    Metadata values may be any JSON value; stores flatten lists and dicts when they need
    scalars (see :func:`llamafarm_core.vectors.flatten_metadata`).
    """

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParseResult:
    """What a parser returns: chunks in document order, plus warnings for the user."""

    chunks: list[Chunk]
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
