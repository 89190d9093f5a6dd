"""Metadata filters: the API/config forms, their errors, and matching."""

from __future__ import annotations

import pytest

from llamafarm_core.errors import ValidationFailed
from llamafarm_core.retrieval.filters import matches, parse_filters
from llamafarm_core.vectors import FilterCondition as F
from llamafarm_core.vectors import FilterOp


def test_api_forms() -> None:
    assert parse_filters({"kind": "report"}) == [F("kind", FilterOp.EQ, "report")]
    assert parse_filters({"kind": ["a", "b"]}) == [F("kind", FilterOp.IN, ("a", "b"))]
    assert parse_filters({"page": {"$gte": 2, "$lt": 5}}) == [
        F("page", FilterOp.GTE, 2),
        F("page", FilterOp.LT, 5),
    ]
    assert parse_filters({"s": {"$ne": "x"}, "t": {"$nin": [1]}}) == [
        F("s", FilterOp.NE, "x"),
        F("t", FilterOp.NIN, (1,)),
    ]
    assert parse_filters(None) == [] and parse_filters({}) == []


def test_list_form_with_the_original_operator_names() -> None:
    assert parse_filters(
        [
            {"key": "kind", "operator": "equal", "value": "memo"},
            {"key": "lang", "operator": "not-equal", "value": "fr"},
            {"key": "tag", "operator": "in", "value": ["x", "y"]},
            {"key": "page", "operator": "range", "gte": 1, "lt": 9},
        ]
    ) == [
        F("kind", FilterOp.EQ, "memo"),
        F("lang", FilterOp.NE, "fr"),
        F("tag", FilterOp.IN, ("x", "y")),
        F("page", FilterOp.GTE, 1),
        F("page", FilterOp.LT, 9),
    ]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"page": {"$like": 3}}, "unknown operator '$like'"),
        ({"page": {}}, "empty operator object"),
        ({"page": {"$gt": "three"}}, "needs a number"),
        ({"page": {"$gt": True}}, "needs a number"),
        ({"kind": {"$in": "report"}}, "non-empty list"),
        ({"kind": []}, "non-empty list"),
        ({"kind": [{"a": 1}]}, "non-empty list"),
        ({"kind": None}, "string, number or boolean"),
        ({'ki"nd': "x"}, "quotes"),
        ("kind=report", "must be an object"),
        ([{"operator": "equal"}], "expected {key, operator, value}"),
        ([{"key": "k", "operator": "range"}], "at least one of"),
        ([{"key": "k", "operator": "like", "value": 1}], "unknown operator 'like'"),
    ],
)
def test_bad_shapes_are_rejected_naming_the_key(raw: object, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_filters(raw, "metadata_filters")
    assert fragment in err.value.message
    assert err.value.message.startswith("metadata_filters")


def test_matching_semantics() -> None:
    meta = {"kind": "report", "page": 3, "draft": False, "score": 0.5}
    assert matches(meta, parse_filters({"kind": "report", "page": {"$gte": 3}}))
    assert not matches(meta, parse_filters({"kind": "memo"}))
    assert matches(meta, parse_filters({"page": 3.0}))  # numbers compare by value
    assert not matches(meta, parse_filters({"page": "3"}))  # no cross-kind comparison
    assert not matches(meta, parse_filters({"draft": 0}))  # a bool is not a number
    assert matches(meta, parse_filters({"draft": False}))
    assert matches(meta, parse_filters({"kind": {"$ne": "memo"}}))
    # A condition on a missing key never matches, $ne and $nin included.
    for raw in (
        {"author": "x"},
        {"author": {"$ne": "x"}},
        {"author": {"$nin": ["x"]}},
        {"author": {"$lt": 9}},
    ):
        assert not matches(meta, parse_filters(raw))
