"""Which embedding model filled a database: ``stores/{db}/collection.json``.

Recorded on the first write; any later write or query with another model or dimension is
refused with a message that says how to fix it, instead of mixing vector spaces (or failing
deep inside the store, as the original did).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from llamafarm_core.errors import BadRequest
from llamafarm_core.fsutil import atomic_write_json, read_json


@dataclass(frozen=True)
class ModelRecord:
    model_id: str
    dimension: int
    embedder_type: str
    recorded_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EmbedderMismatch(BadRequest):
    """The configured embedder differs from the one that produced the stored vectors."""


def read_model_record(path: Path) -> ModelRecord | None:
    data = read_json(path)
    if not isinstance(data, dict):
        return None
    try:
        return ModelRecord(
            model_id=str(data["model_id"]),
            dimension=int(data["dimension"]),
            embedder_type=str(data.get("embedder_type", "")),
            recorded_at=float(data.get("recorded_at", 0.0)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def write_model_record(path: Path, model_id: str, dimension: int, embedder_type: str) -> ModelRecord:
    record = ModelRecord(model_id, dimension, embedder_type, time.time())
    atomic_write_json(path, record.to_dict())
    return record


def check_model(
    record: ModelRecord | None, database: str, model_id: str, dimension: int | None = None
) -> None:
    """Raise EmbedderMismatch when ``model_id``/``dimension`` differ from the record."""
    if record is None:
        return
    problems = []
    if record.model_id != model_id:
        problems.append(f"model {record.model_id!r} but the configured embedder is {model_id!r}")
    if dimension is not None and record.dimension != dimension:
        problems.append(f"dimension {record.dimension} but the configured embedder gives {dimension}")
    if problems:
        raise EmbedderMismatch(
            f"database {database!r} holds vectors made with {' and '.join(problems)}; "
            "reindex: delete the datasets that use this database and process them again "
            "(or switch the embedding strategy back)"
        )
