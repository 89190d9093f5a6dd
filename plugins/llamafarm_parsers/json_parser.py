"""JSON and JSON Lines: each record flattened to ``path: value`` lines, records packed into chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import (
    Chunk,
    ParseFailed,
    ParseResult,
    SourceFile,
    base_name,
    chunk_rows,
)
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig

_LINES_EXTENSIONS = (".jsonl", ".ndjson")


class JsonConfig(BuiltinParserConfig):
    chunk_strategy: str = Field("rows", description="rows: whole records packed up to chunk_size characters.")


class JsonParser(BuiltinParser[JsonConfig]):
    """JSON (.json) and JSON Lines (.jsonl, .ndjson).

    Records are the items of a top-level list, the lines of a JSON Lines file, or, for a
    top-level object, each key (each item when the key holds a list).
    """

    name = "json"
    aliases = ("JSONParser", "JSONParser_Python")
    extensions = (".json", ".jsonl", ".ndjson")
    strategies = ("rows",)

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        name = base_name(source.filename)
        decoded = self.decode(data, source)
        warnings = list(decoded.warnings)
        if self.extension_of(source) in _LINES_EXTENSIONS:
            records = _json_lines(decoded.text, name, warnings)
        else:
            records = _records(_load(decoded.text, name))
        texts = ["\n".join(flatten(value, path)) for _, path, value in records]
        chunks = [
            Chunk(rc.text, {"record_start": records[rc.first][0], "record_end": records[rc.last][0]})
            for rc in chunk_rows(texts, None, self.config.chunk_size)
        ]
        return ParseResult(chunks, warnings, {"record_count": len(records)})


def _load(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseFailed(
            f"{name} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    except RecursionError:
        raise ParseFailed(f"{name} is nested too deeply to read") from None


def _json_lines(text: str, name: str, warnings: list[str]) -> list[tuple[int, str, Any]]:
    """``(line number, path, value)`` per valid line; invalid lines are skipped with a warning."""
    records, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, "", json.loads(line)))
        except (json.JSONDecodeError, RecursionError):
            bad.append(number)
    if bad and not records:
        raise ParseFailed(f"{name} is not valid JSON Lines: no line holds a JSON value")
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
        warnings.append(f"{len(bad)} line(s) are not valid JSON and were skipped: {shown}")
    return records


def _records(value: Any) -> list[tuple[int, str, Any]]:
    """``(record number, path, value)``: list items, or an object's keys (list-valued keys per item).

    A record's number is its position (1-based); its path prefixes its lines (``items.name: x``).
    """
    pairs: list[tuple[str, Any]]
    if isinstance(value, list):
        pairs = [("", v) for v in value]
    elif isinstance(value, dict):
        pairs = []
        for key, v in value.items():
            if isinstance(v, list) and v:
                pairs.extend((str(key), item) for item in v)
            else:
                pairs.append((str(key), v))
    else:
        pairs = [("", value)]
    return [(n, path, v) for n, (path, v) in enumerate(pairs, start=1)]


def flatten(value: Any, path: str = "") -> Iterator[str]:
    """``path: value`` lines for every leaf (``a.b[0].c: 1``); a bare scalar is just its text."""
    if isinstance(value, dict) and value:
        for key, v in value.items():
            yield from flatten(v, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from flatten(v, f"{path}[{i}]")
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        yield f"{path}: {text}" if path else text
