"""The code parser: top-level definitions, language, line numbers, symbols."""

from __future__ import annotations

import pytest

from llamafarm_core.testing.parsers import ParserContract, ParserSample

PY = '''"""Module docstring."""

import os


@decorator
def first(a, b):
    """Add."""
    return a + b


class Herd:
    def __init__(self):
        self.animals = []

    def add(self, llama):
        self.animals.append(llama)


async def fetch():
    return await something()
'''

GO = """package main

import "fmt"

// Greet says hello.
func Greet(name string) string {
\treturn "hello " + name
}

type Herd struct {
\tSize int
}

func (h *Herd) Grow() {
\th.Size++
}
"""


class TestCodeParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("code", chunk_size=200, chunk_overlap=0)

    @pytest.fixture
    def sample(self) -> ParserSample:
        body = PY + "".join(f"\n\ndef helper_{i}(x):\n    return x * {i}\n" for i in range(20))
        return ParserSample(body.encode(), "herd.py", "def helper_7(x):")


def test_python_splits_at_top_level_definitions(parse) -> None:
    # 130 characters hold the module head and first(), or Herd alone, but never two definitions
    result = parse("code", PY.encode(), "herd.py", chunk_size=130, chunk_overlap=0)
    texts = [c.text for c in result.chunks]
    assert len(texts) == 3
    assert texts[0].startswith('"""Module docstring."""\n\nimport os\n\n\n@decorator\ndef first')
    assert texts[1].startswith("class Herd:") and texts[1].endswith("self.animals.append(llama)")
    assert texts[2].startswith("async def fetch")
    assert [c.metadata.get("symbols") for c in result.chunks] == [["first"], ["Herd"], ["fetch"]]
    assert all(c.metadata["language"] == "python" for c in result.chunks)


def test_line_numbers_match_the_file(parse) -> None:
    result = parse("code", PY.encode(), "herd.py", chunk_size=60, chunk_overlap=0)
    lines = PY.split("\n")
    for chunk in result.chunks:
        start, end = chunk.metadata["line_start"], chunk.metadata["line_end"]
        assert "\n".join(lines[start - 1 : end]) == chunk.text


def test_small_definitions_are_packed_together(parse) -> None:
    result = parse("code", PY.encode(), "herd.py", chunk_size=1000, chunk_overlap=0)
    assert len(result.chunks) == 1
    assert result.chunks[0].metadata["symbols"] == ["first", "Herd", "fetch"]


def test_go_definitions_and_comments(parse) -> None:
    result = parse("code", GO.encode(), "main.go", chunk_size=90, chunk_overlap=0)
    assert result.chunks[1].text.startswith("// Greet says hello.\nfunc Greet")
    assert [c.metadata.get("symbols") for c in result.chunks] == [None, ["Greet"], ["Herd", "Grow"]]
    assert result.metadata == {"language": "go"}


def test_a_long_function_is_split_by_lines_within_size(parse) -> None:
    body = "def big():\n" + "".join(f"    value_{i} = compute({i})\n" for i in range(60))
    result = parse("code", body.encode(), "big.py", chunk_size=200, chunk_overlap=0)
    assert len(result.chunks) > 5
    for chunk in result.chunks:
        assert len(chunk.text) <= 200
        assert all(line.startswith(("def big", "    value_")) for line in chunk.text.split("\n"))


def test_text_parser_config_of_the_original_on_code_files(parse) -> None:
    # compat configs send *.py to TextParser_Python: it must read them as plain text
    result = parse("TextParser_Python", PY.encode(), "herd.py")
    assert "class Herd" in "\n".join(c.text for c in result.chunks)
