"""Checked filter conditions → a Qdrant ``Filter``, and the payload layout behind it.

A point's payload is ``{"chunk_id": ..., "text": ..., "metadata": {...}}``; filters address
``metadata.<key>``. Numbers are matched by range (so ``2`` equals ``2.0``, as in Chroma),
strings and bools by exact value. ``ne``/``nin`` also require the key to be present.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llamafarm_core.plugin_api import FilterOp
from llamafarm_stores.filtering import CheckedCondition, is_number

if TYPE_CHECKING:
    from qdrant_client import models

ID_FIELD = "chunk_id"
TEXT_FIELD = "text"
METADATA_FIELD = "metadata"

# Point ids must be UUIDs (or integers): chunk ids map to a UUID5 in this namespace.
POINT_NAMESPACE = uuid.UUID("6f1b7c52-5e0c-4a8e-9d55-2b6f3c1a9e47")


def point_id(chunk_id: str) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, chunk_id))


def _field(key: str) -> str:
    return f"{METADATA_FIELD}.{key}"


def _equals(key: str, value: Any) -> models.FieldCondition:
    from qdrant_client import models

    if is_number(value):
        return models.FieldCondition(key=_field(key), range=models.Range(gte=value, lte=value))
    return models.FieldCondition(key=_field(key), match=models.MatchValue(value=value))


def _missing(key: str) -> models.IsEmptyCondition:
    from qdrant_client import models

    return models.IsEmptyCondition(is_empty=models.PayloadField(key=_field(key)))


def _condition(c: CheckedCondition) -> Any:
    from qdrant_client import models

    if c.op == FilterOp.EQ:
        return _equals(c.key, c.value)
    if c.op == FilterOp.NE:
        return models.Filter(must_not=[_missing(c.key), _equals(c.key, c.value)])
    if c.op == FilterOp.IN:
        return models.Filter(should=[_equals(c.key, v) for v in c.value])
    if c.op == FilterOp.NIN:
        return models.Filter(must_not=[_missing(c.key), *(_equals(c.key, v) for v in c.value)])
    bound = {FilterOp.GT: "gt", FilterOp.GTE: "gte", FilterOp.LT: "lt", FilterOp.LTE: "lte"}[c.op]
    return models.FieldCondition(key=_field(c.key), range=models.Range(**{bound: c.value}))


def build_filter(conditions: Sequence[CheckedCondition]) -> models.Filter | None:
    """A Filter AND-ing the conditions (None for none). ``in []`` must be handled by the caller."""
    from qdrant_client import models

    if not conditions:
        return None
    return models.Filter(must=[_condition(c) for c in conditions])


def file_filter(file_hash: str) -> models.Filter:
    from qdrant_client import models

    return models.Filter(
        must=[models.FieldCondition(key=_field("file_hash"), match=models.MatchValue(value=file_hash))]
    )
