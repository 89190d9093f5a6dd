"""Checked filter conditions → a Chroma ``where`` document, and the metadata layout behind it.

Chroma's ``$ne``/``$nin`` also match records that lack the key, and Chroma has no "key
exists" operator. So every record we write carries :data:`KEYS_FIELD`, the list of its
metadata keys, and ``ne``/``nin`` are AND-ed with ``KEYS_FIELD $contains key``. The field is
stripped again on read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llamafarm_core.plugin_api import FilterOp, Scalar, flatten_metadata
from llamafarm_stores.filtering import CheckedCondition, group_by_type

KEYS_FIELD = "_lf_keys"

_NATIVE = {
    FilterOp.EQ: "$eq",
    FilterOp.NE: "$ne",
    FilterOp.GT: "$gt",
    FilterOp.GTE: "$gte",
    FilterOp.LT: "$lt",
    FilterOp.LTE: "$lte",
}


def to_chroma_metadata(metadata: Mapping[str, Any]) -> dict[str, Any] | None:
    """Scalars only (defensively flattened), plus the list of keys; None when empty."""
    flat: dict[str, Any] = dict(flatten_metadata({k: v for k, v in metadata.items() if k != KEYS_FIELD}))
    if not flat:
        return None
    flat[KEYS_FIELD] = sorted(flat)
    return flat


def from_chroma_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Scalar]:
    return {k: v for k, v in (metadata or {}).items() if k != KEYS_FIELD}


def _exists(key: str) -> dict[str, Any]:
    return {KEYS_FIELD: {"$contains": key}}


def _all(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _condition(c: CheckedCondition) -> dict[str, Any]:
    if c.op == FilterOp.IN:
        parts = [{c.key: {"$in": vals}} for vals in group_by_type(c.value).values()]
        return parts[0] if len(parts) == 1 else {"$or": parts}
    if c.op == FilterOp.NIN:
        return _all([_exists(c.key), *({c.key: {"$nin": vals}} for vals in group_by_type(c.value).values())])
    if c.op == FilterOp.NE:
        return _all([_exists(c.key), {c.key: {"$ne": c.value}}])
    return {c.key: {_NATIVE[c.op]: c.value}}


def build_where(conditions: Sequence[CheckedCondition]) -> dict[str, Any] | None:
    """The ``where`` for AND-ed conditions (None for none). ``in []`` must be handled by the
    caller (it matches nothing, which Chroma can't express)."""
    parts: list[dict[str, Any]] = []
    for c in conditions:
        part = _condition(c)
        parts.extend(part.get("$and", [part]))
    return _all(parts) if parts else None
