"""The markdown parser: sections by heading, front matter into metadata."""

from __future__ import annotations

import pytest

from llamafarm_core.testing.parsers import ParserContract, ParserSample

MARKER = "Alpacas hum when they are curious."

DOC = """---
title: Camelids
category: animals
tags: [llama, alpaca]
published: 2024-05-01
filename: should-not-clash.md
---
# Camelids

Intro paragraph about camelids.

## Llamas

{llamas}

## Alpacas

{alpacas}

```python
# not a heading
print("hi")
```

### Fleece

Fleece is soft.
"""


def document(repeat: int = 1, marker: str = "") -> bytes:
    llamas = "\n\n".join(["Llamas are pack animals of the Andes and carry loads."] * repeat)
    alpacas = "\n\n".join(["Alpacas are smaller and bred for fibre."] * repeat) + (
        f" {marker}" if marker else ""
    )
    return DOC.format(llamas=llamas, alpacas=alpacas).encode()


class TestMarkdownParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("MarkdownParser_Python", chunk_size=250, chunk_overlap=30)

    @pytest.fixture
    def sample(self) -> ParserSample:
        return ParserSample(document(6, MARKER), "camelids.md", MARKER)


def test_sections_by_heading_with_heading_path(parse) -> None:
    result = parse("markdown", document(), "c.md", chunk_size=1000, chunk_overlap=0)
    meta = [
        (c.metadata["heading"], c.metadata["heading_level"], c.metadata["section"]) for c in result.chunks
    ]
    assert meta == [
        ("Camelids", 1, "Camelids"),
        ("Llamas", 2, "Camelids > Llamas"),
        ("Alpacas", 2, "Camelids > Alpacas"),
        ("Fleece", 3, "Camelids > Alpacas > Fleece"),
    ]
    alpacas = result.chunks[2].text
    assert alpacas.startswith("## Alpacas") and "# not a heading" in alpacas
    assert result.metadata["title"] == "Camelids"


def test_front_matter_keys_go_on_every_chunk_and_clashes_are_prefixed(parse) -> None:
    result = parse("markdown", document(), "c.md")
    for chunk in result.chunks:
        assert chunk.metadata["category"] == "animals"
        assert chunk.metadata["tags"] == ["llama", "alpaca"]
        assert chunk.metadata["published"] == "2024-05-01"
        assert chunk.metadata["frontmatter_filename"] == "should-not-clash.md"
        assert "filename" not in chunk.metadata
        assert "title:" not in chunk.text  # the front matter block itself is not text
    assert result.metadata["front_matter"]["category"] == "animals"


def test_extract_metadata_false_drops_front_matter_keys(parse) -> None:
    result = parse("markdown", document(), "c.md", extract_metadata=False)
    assert all("category" not in c.metadata for c in result.chunks)
    assert all("heading" in c.metadata for c in result.chunks)


def test_a_long_section_is_split_within_the_section(parse) -> None:
    result = parse("markdown", document(repeat=10), "c.md", chunk_size=200, chunk_overlap=40)
    llama_chunks = [c for c in result.chunks if c.metadata["heading"] == "Llamas"]
    assert len(llama_chunks) > 2
    assert all(len(c.text) <= 200 for c in result.chunks)
    assert all("Alpacas are" not in c.text for c in llama_chunks)  # no crossing into the next section


def test_invalid_front_matter_is_a_warning(parse) -> None:
    result = parse("markdown", b"---\nkey: [unclosed\n---\n# Title\n\nBody text.", "bad.md")
    assert any("front matter is not valid YAML" in w for w in result.warnings)
    assert result.chunks[-1].text.endswith("Body text.")


def test_paragraph_strategy_still_tags_headings(parse) -> None:
    result = parse(
        "MarkdownParser_LlamaIndex",
        document(),
        "c.md",
        chunk_strategy="paragraphs",
        chunk_size=80,
        chunk_overlap=0,
    )
    assert result.warnings == []
    assert {c.metadata.get("heading") for c in result.chunks} >= {"Llamas", "Alpacas"}


def test_headings_strategy_of_the_original_maps_to_sections(parse) -> None:
    result = parse("MarkdownParser_LlamaIndex", document(), "c.md", chunk_strategy="headings")
    assert result.warnings == ["chunk_strategy 'headings' is not implemented; using 'sections' instead"]
