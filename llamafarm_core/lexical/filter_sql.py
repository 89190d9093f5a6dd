"""Metadata filters as SQL over a lexical index's metadata JSON (``docs.metadata``, the
table aliased ``d``), with the semantics of :func:`llamafarm_core.retrieval.filters.matches`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llamafarm_core.vectors import FilterCondition, FilterOp

# The metadata's filename as the index ``docs_filename`` holds it (LexicalIndex's schema). A
# query must spell the expression the same way for SQLite to use the index; ``metadata`` is
# only ever ``docs``' column in these queries.
FILENAME_SQL = """json_extract(metadata, '$."filename"')"""
# Keys whose string equality an index of ``docs`` answers: one file of 100,000 chunks is found
# by its hash or its name without a scan.
INDEXED_KEYS = {"file_hash": "d.file_hash", "filename": FILENAME_SQL}


def filters_sql(filters: Sequence[FilterCondition]) -> tuple[str, list[Any]]:
    """``AND ...`` clauses over ``d.metadata`` with the semantics of
    :func:`llamafarm_core.retrieval.filters.matches` (missing key never matches, no
    cross-kind comparisons), and their parameters."""
    column = "d.metadata"
    clauses: list[str] = []
    params: list[Any] = []
    for cond in filters:
        strings = cond.value if cond.op is FilterOp.IN else [cond.value]
        indexed = INDEXED_KEYS.get(cond.key)
        if (
            indexed
            and cond.op in (FilterOp.EQ, FilterOp.IN)
            and strings
            and all(isinstance(v, str) for v in strings)
        ):
            # implied by the JSON clause below (file_hash's column is the metadata's
            # file_hash as text), and indexed: the rows are found without a scan
            clauses.append(f"{indexed} IN ({','.join('?' * len(strings))})")
            params.extend(strings)
        path = f'$."{cond.key}"'
        if cond.op in (FilterOp.EQ, FilterOp.IN, FilterOp.NE, FilterOp.NIN):
            values = cond.value if cond.op in (FilterOp.IN, FilterOp.NIN) else (cond.value,)
            parts = [_equal_sql(column, path, v) for v in values]
            any_eq = "(" + (" OR ".join(sql for sql, _ in parts) or "0") + ")"
            eq_params = [x for _, p in parts for x in p]
            if cond.op in (FilterOp.EQ, FilterOp.IN):
                clauses.append(any_eq)
                params.extend(eq_params)
            else:
                clauses.append(f"(json_type({column}, ?) NOT IN ('null') AND NOT {any_eq})")
                params.extend([path, *eq_params])
        else:
            sym = {FilterOp.GT: ">", FilterOp.GTE: ">=", FilterOp.LT: "<", FilterOp.LTE: "<="}[cond.op]
            clauses.append(
                f"(json_type({column}, ?) IN ('integer', 'real') AND json_extract({column}, ?) {sym} ?)"
            )
            params.extend([path, path, cond.value])
    return "".join(f" AND {c}" for c in clauses), params


def _equal_sql(column: str, path: str, value: Any) -> tuple[str, list[Any]]:
    if isinstance(value, bool):
        return f"(json_type({column}, ?) = ?)", [path, "true" if value else "false"]
    if isinstance(value, int | float):
        return f"(json_type({column}, ?) IN ('integer', 'real') AND json_extract({column}, ?) = ?)", [
            path,
            path,
            value,
        ]
    # The value's JSON text is in the column wherever it matches: a substring test first
    # skips parsing the JSON of most rows (one file of 100,000 chunks: 78 -> 44 ms). Both
    # encodings: the index writes Python's (\u escapes), SQLite's JSON functions UTF-8.
    texts = list(dict.fromkeys([json.dumps(value), json.dumps(value, ensure_ascii=False)]))
    found = " OR ".join(f"instr({column}, ?)" for _ in texts)
    return f"(({found}) AND json_type({column}, ?) = 'text' AND json_extract({column}, ?) = ?)", [
        *texts,
        path,
        path,
        value,
    ]
