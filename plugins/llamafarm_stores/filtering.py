"""Validation of metadata filters, shared by every built-in store.

Both stores translate the same checked conditions, so a filter means the same thing
whichever database holds the chunks:

- ``eq``/``ne`` compare with one scalar (str, int, float, bool); ``in``/``nin`` with a list
  of scalars (a single scalar is taken as a one-element list).
- ``gt``/``gte``/``lt``/``lte`` need a number; bools are not numbers here.
- Numbers compare by value (``2`` equals ``2.0``); bools and strings only equal themselves.
- A condition on a key a chunk lacks never matches that chunk, ``ne`` and ``nin`` included.
- Several conditions are AND-ed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llamafarm_core.plugin_api import BadRequest, FilterCondition, FilterOp, Scalar

RANGE_OPS = frozenset({FilterOp.GT, FilterOp.GTE, FilterOp.LT, FilterOp.LTE})
LIST_OPS = frozenset({FilterOp.IN, FilterOp.NIN})


@dataclass(frozen=True)
class CheckedCondition:
    """A condition whose value has the right shape for its op: a tuple for in/nin, a
    number for ranges, a scalar otherwise."""

    key: str
    op: FilterOp
    value: Any


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not (
        isinstance(value, float) and math.isnan(value)
    )


def check_filters(filters: Sequence[FilterCondition]) -> list[CheckedCondition]:
    """Check every condition; raise BadRequest naming the first bad one."""
    return [_check(f) for f in filters]


def _check(condition: FilterCondition) -> CheckedCondition:
    key = condition.key
    if not isinstance(key, str) or not key:
        raise BadRequest(f"filter key must be a non-empty string, got {key!r}")
    try:
        op = FilterOp(condition.op)
    except ValueError:
        known = ", ".join(o.value for o in FilterOp)
        raise BadRequest(
            f"filter on {key!r}: unknown operator {condition.op!r}; use one of {known}"
        ) from None
    value = condition.value
    if op in LIST_OPS:
        values = tuple(value) if isinstance(value, list | tuple | set | frozenset) else (value,)
        bad = [v for v in values if not _is_scalar(v)]
        if bad:
            raise BadRequest(
                f"filter on {key!r}: {op.value} needs a list of strings, numbers or booleans, got {bad[0]!r}"
            )
        return CheckedCondition(key, op, values)
    if op in RANGE_OPS:
        if not is_number(value) or math.isnan(value):
            raise BadRequest(f"filter on {key!r}: {op.value} needs a number, got {value!r}")
        return CheckedCondition(key, op, value)
    if not _is_scalar(value):
        hint = " (use 'in' for a list)" if isinstance(value, list | tuple) else ""
        raise BadRequest(
            f"filter on {key!r}: {op.value} needs a string, number or boolean, got {value!r}{hint}"
        )
    return CheckedCondition(key, op, value)


def matches_nothing(conditions: Sequence[CheckedCondition]) -> bool:
    """True when some condition can match no chunk at all (``in`` an empty list)."""
    return any(c.op == FilterOp.IN and not c.value for c in conditions)


def group_by_type(values: Sequence[Scalar]) -> dict[type, list[Scalar]]:
    """Values grouped by bool/int/float/str, in first-seen order (stores want uniform lists)."""
    groups: dict[type, list[Scalar]] = {}
    for v in values:
        groups.setdefault(type(v), []).append(v)
    return groups
