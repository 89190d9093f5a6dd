"""Checked filter conditions → a Chroma ``where`` document, and the metadata we write.

Chroma's ``$ne``/``$nin`` also match records that lack the key, and Chroma has no "key
exists" operator. Those records are dropped after the query instead
(:func:`keys_to_require`; ``ChromaStore`` asks for more until it has ``top_k``). Records
written before 2026-12 carry :data:`KEYS_FIELD`, the list of their keys, which the writes
no longer add (it doubled the rows Chroma writes per record): it is stripped on read.
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
    """Scalars only (defensively flattened); None when empty."""
    flat: dict[str, Any] = dict(flatten_metadata({k: v for k, v in metadata.items() if k != KEYS_FIELD}))
    return flat or None


def from_chroma_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Scalar]:
    return {k: v for k, v in (metadata or {}).items() if k != KEYS_FIELD}


def keys_to_require(conditions: Sequence[CheckedCondition]) -> frozenset[str]:
    """Keys a hit must have that Chroma's ``where`` doesn't check: those of ``ne``/``nin``."""
    return frozenset(c.key for c in conditions if c.op in (FilterOp.NE, FilterOp.NIN))


def _all(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _conditions(c: CheckedCondition) -> list[dict[str, Any]]:
    """The AND-ed parts for one condition (none for ``nin []``: only the key's presence,
    which :func:`keys_to_require` leaves to the caller)."""
    if c.op == FilterOp.IN:
        parts = [{c.key: {"$in": vals}} for vals in group_by_type(c.value).values()]
        return [parts[0] if len(parts) == 1 else {"$or": parts}]
    if c.op == FilterOp.NIN:
        return [{c.key: {"$nin": vals}} for vals in group_by_type(c.value).values()]
    return [{c.key: {_NATIVE[c.op]: c.value}}]


def build_where(conditions: Sequence[CheckedCondition]) -> dict[str, Any] | None:
    """The ``where`` for AND-ed conditions (None for none). ``in []`` must be handled by the
    caller (it matches nothing, which Chroma can't express), and so must the keys of
    :func:`keys_to_require`."""
    parts = [part for c in conditions for part in _conditions(c)]
    return _all(parts) if parts else None
