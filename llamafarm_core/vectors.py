"""Typed values between the pipeline, retrieval and vector stores."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

Scalar = str | int | float | bool


@dataclass
class ChunkRecord:
    """One chunk ready to store. ``id`` is deterministic: file hash + position."""

    id: str
    text: str
    embedding: list[float]
    metadata: dict[str, Scalar]


@dataclass
class SearchHit:
    """A retrieved chunk. ``score`` is in [0, 1], higher is better, for every metric."""

    id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredId:
    """A search result without its text and metadata (a candidate to be fused and ranked
    before the few that are returned are fetched). ``score`` as in :class:`SearchHit`."""

    id: str
    score: float


class FilterOp(str, Enum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NIN = "nin"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


@dataclass(frozen=True)
class FilterCondition:
    """``metadata[key] <op> value``. A condition on a key a chunk lacks never matches it."""

    key: str
    op: FilterOp
    value: Any


def chunk_id(file_hash: str, index: int) -> str:
    """The deterministic id of chunk ``index`` of a file."""
    return f"{file_hash}:{index:06d}"


def flatten_metadata(metadata: dict[str, Any]) -> dict[str, Scalar]:
    """Make metadata storable by any vector store: scalars stay, None is dropped,
    lists of scalars become a comma-separated string, anything else becomes JSON text."""
    out: dict[str, Scalar] = {}
    for key, value in metadata.items():
        if value is None:
            continue
        if isinstance(value, bool | int | float | str):
            out[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
            out[key] = ", ".join(str(v) for v in value)
        else:
            out[key] = json.dumps(value, default=str, sort_keys=True)
    return out
