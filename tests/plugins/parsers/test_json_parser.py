"""The JSON parser: JSON and JSON Lines, records flattened to ``path: value`` lines."""

from __future__ import annotations

import json

import pytest

from llamafarm_core.errors import ParseFailed
from llamafarm_core.testing.parsers import ParserContract, ParserSample


def animals(n: int) -> list[dict[str, object]]:
    return [
        {"id": i, "name": f"animal-{i}", "tags": ["llama", "herd"], "vet": {"name": "Ruiz", "ok": i % 2 == 0}}
        for i in range(n)
    ]


class TestJsonParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("JSONParser", chunk_size=250, chunk_overlap=0)

    @pytest.fixture
    def sample(self) -> ParserSample:
        return ParserSample(json.dumps(animals(30)).encode(), "herd.json", "name: animal-17")


def test_list_of_records_flattened_and_packed(parse) -> None:
    result = parse("json", json.dumps(animals(3)).encode(), "a.json", chunk_size=1000)
    assert len(result.chunks) == 1
    assert result.chunks[0].text.split("\n")[:6] == [
        "id: 0",
        "name: animal-0",
        "tags[0]: llama",
        "tags[1]: herd",
        "vet.name: Ruiz",
        "vet.ok: true",
    ]
    assert result.chunks[0].metadata == {"record_start": 1, "record_end": 3}
    assert result.metadata == {"record_count": 3}


def test_records_are_never_split_when_they_fit(parse) -> None:
    result = parse("json", json.dumps(animals(20)).encode(), "a.json", chunk_size=200)
    record_len = len(
        "\n".join(
            ["id: 10", "name: animal-10", "tags[0]: llama", "tags[1]: herd", "vet.name: Ruiz", "vet.ok: true"]
        )
    )
    assert record_len < 200
    for chunk in result.chunks:
        assert chunk.text.startswith("id: ")
        assert chunk.text.count("id: ") == chunk.metadata["record_end"] - chunk.metadata["record_start"] + 1


def test_object_with_a_list_key_makes_a_record_per_item(parse) -> None:
    doc = {"version": 2, "items": [{"name": "a"}, {"name": "b"}]}
    result = parse("json", json.dumps(doc).encode(), "o.json")
    assert result.chunks[0].text == "version: 2\nitems.name: a\nitems.name: b"
    assert result.metadata["record_count"] == 3


def test_json_lines_with_a_bad_line_warns_and_keeps_the_rest(parse) -> None:
    data = b'{"a": 1}\n\nnot json\n{"a": 2}\n'
    result = parse("json", data, "l.jsonl")
    assert result.chunks[0].text == "a: 1\na: 2"
    assert result.chunks[0].metadata == {"record_start": 1, "record_end": 4}  # line numbers
    assert result.warnings == ["1 line(s) are not valid JSON and were skipped: 3"]


def test_invalid_json_says_where(parse) -> None:
    with pytest.raises(ParseFailed, match=r"not valid JSON: .* line 2 column"):
        parse("json", b'{"a": 1,\n "b": }', "bad.json")


def test_json_lines_with_no_valid_line_fails(parse) -> None:
    with pytest.raises(ParseFailed, match="not valid JSON Lines"):
        parse("json", b"nope\nstill nope\n", "bad.ndjson")


def test_scalar_document(parse) -> None:
    assert parse("json", b'"just a string"', "s.json").chunks[0].text == "just a string"
