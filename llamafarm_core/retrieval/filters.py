"""Metadata filters: parsing the API/config form and matching chunks against conditions.

The API form (``metadata_filters`` of a RAG query, ``filters`` of MetadataFilteredStrategy)::

    {"doc_type": "report"}                    equal
    {"doc_type": ["report", "memo"]}          in
    {"page": {"$gte": 2, "$lt": 5}}           range (several operators on a key = AND)
    {"status": {"$ne": "draft"}}              not equal ($eq, $ne, $in, $nin, $gt, $gte, $lt, $lte)

Every key must match (AND). Semantics shared by every store, the lexical index and
:func:`matches`:

- a condition on a key the chunk lacks never matches it (``$ne``/``$nin`` included);
- values compare only with values of the same kind: numbers with numbers, strings with
  strings, booleans with booleans (``{"page": "2"}`` does not match ``page: 2``);
- range operators take a number (as in every vector store); booleans are not numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llamafarm_core.errors import ValidationFailed
from llamafarm_core.vectors import FilterCondition, FilterOp

OPERATORS: dict[str, FilterOp] = {
    "$eq": FilterOp.EQ,
    "$ne": FilterOp.NE,
    "$in": FilterOp.IN,
    "$nin": FilterOp.NIN,
    "$gt": FilterOp.GT,
    "$gte": FilterOp.GTE,
    "$lt": FilterOp.LT,
    "$lte": FilterOp.LTE,
}
# Spellings of the original's MetadataFilteredStrategy and of list-form conditions.
_OP_ALIASES = {
    "eq": FilterOp.EQ,
    "equal": FilterOp.EQ,
    "equals": FilterOp.EQ,
    "ne": FilterOp.NE,
    "not_equal": FilterOp.NE,
    "not-equal": FilterOp.NE,
    "in": FilterOp.IN,
    "nin": FilterOp.NIN,
    "not_in": FilterOp.NIN,
    "gt": FilterOp.GT,
    "gte": FilterOp.GTE,
    "lt": FilterOp.LT,
    "lte": FilterOp.LTE,
}
RANGE_OPS = frozenset({FilterOp.GT, FilterOp.GTE, FilterOp.LT, FilterOp.LTE})


def _is_scalar(v: Any) -> bool:
    return isinstance(v, str | int | float | bool)


def _check_key(key: Any, where: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed(f"{where}: a filter key must be a non-empty string")
    if '"' in key or any(ord(c) < 32 for c in key):
        raise ValidationFailed(f"{where}: filter key {key!r} contains quotes or control characters")
    return key


def _condition(key: str, op: FilterOp, value: Any, where: str) -> FilterCondition:
    if op in (FilterOp.IN, FilterOp.NIN):
        if not isinstance(value, list | tuple) or not value or not all(_is_scalar(v) for v in value):
            raise ValidationFailed(
                f"{where}: ${op.value} needs a non-empty list of strings, numbers or booleans"
            )
        return FilterCondition(key, op, tuple(value))
    if op in RANGE_OPS:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ValidationFailed(f"{where}: ${op.value} needs a number, got {value!r}")
        return FilterCondition(key, op, value)
    if not _is_scalar(value):
        raise ValidationFailed(f"{where}: ${op.value} needs a string, number or boolean, got {value!r}")
    return FilterCondition(key, op, value)


def parse_filters(raw: Any, where: str = "metadata_filters") -> list[FilterCondition]:
    """Conditions from the API form (a mapping, see the module doc) or a list of
    ``{key, operator, value}`` objects. ``None`` and ``{}`` mean no filter.

    Raises :class:`ValidationFailed` (422) naming the bad key.
    """
    if raw is None:
        return []
    if isinstance(raw, list):
        return [c for i, item in enumerate(raw) for c in _parse_list_item(item, f"{where}[{i}]")]
    if not isinstance(raw, Mapping):
        raise ValidationFailed(f"{where}: must be an object of key -> value, list or {{operator: value}}")
    out: list[FilterCondition] = []
    for key, spec in raw.items():
        path = f"{where}.{key}"
        _check_key(key, where)
        if isinstance(spec, Mapping):
            if not spec:
                raise ValidationFailed(f"{path}: empty operator object; use one of {', '.join(OPERATORS)}")
            for op_name, value in spec.items():
                op = OPERATORS.get(op_name)
                if op is None:
                    raise ValidationFailed(
                        f"{path}: unknown operator {op_name!r}; known operators: {', '.join(OPERATORS)}"
                    )
                out.append(_condition(key, op, value, path))
        elif isinstance(spec, list):
            out.append(_condition(key, FilterOp.IN, spec, path))
        else:
            out.append(_condition(key, FilterOp.EQ, spec, path))
    return out


def _parse_list_item(item: Any, where: str) -> list[FilterCondition]:
    if not isinstance(item, Mapping) or "key" not in item:
        raise ValidationFailed(f"{where}: expected {{key, operator, value}}")
    key = _check_key(item["key"], where)
    op_name = str(item.get("operator", item.get("op", "equal"))).lower()
    op = OPERATORS.get(op_name) or _OP_ALIASES.get(op_name)
    if op_name == "range":
        conds = [
            _condition(key, _OP_ALIASES[k], item[k], f"{where}.{k}")
            for k in ("gt", "gte", "lt", "lte")
            if k in item
        ]
        if not conds:
            raise ValidationFailed(f"{where}: a range needs at least one of gt, gte, lt, lte")
        return conds
    if op is None:
        known = sorted({*OPERATORS, *_OP_ALIASES, "range"})
        raise ValidationFailed(f"{where}: unknown operator {op_name!r}; known operators: {', '.join(known)}")
    if "value" not in item:
        raise ValidationFailed(f"{where}: missing 'value'")
    return [_condition(key, op, item["value"], where)]


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return True
    return isinstance(a, str) and isinstance(b, str)


def _equal(a: Any, b: Any) -> bool:
    return _same_kind(a, b) and a == b


def matches_one(metadata: Mapping[str, Any], cond: FilterCondition) -> bool:
    """Whether one condition holds for a chunk's metadata (see the module doc)."""
    if cond.key not in metadata or metadata[cond.key] is None:
        return False
    actual = metadata[cond.key]
    if cond.op is FilterOp.EQ:
        return _equal(actual, cond.value)
    if cond.op is FilterOp.NE:
        return not _equal(actual, cond.value)
    if cond.op is FilterOp.IN:
        return any(_equal(actual, v) for v in cond.value)
    if cond.op is FilterOp.NIN:
        return not any(_equal(actual, v) for v in cond.value)
    if not _same_kind(actual, cond.value) or isinstance(actual, bool):
        return False
    if cond.op is FilterOp.GT:
        return bool(actual > cond.value)
    if cond.op is FilterOp.GTE:
        return bool(actual >= cond.value)
    if cond.op is FilterOp.LT:
        return bool(actual < cond.value)
    return bool(actual <= cond.value)


def matches(metadata: Mapping[str, Any], conditions: Sequence[FilterCondition]) -> bool:
    """Whether every condition holds."""
    return all(matches_one(metadata, c) for c in conditions)
