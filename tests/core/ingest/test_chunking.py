"""Chunking strategies, measured: chunk lengths, overlaps, unit boundaries, nothing lost."""

from __future__ import annotations

import random
import re

import pytest

from llamafarm_core.ingest.chunking import (
    FALLBACKS,
    STRATEGIES,
    TextChunk,
    chunk_rows,
    chunk_text,
    header_limit,
    resolve_strategy,
    segments,
    validate_strategy,
)

WORDS = [
    "llama",
    "alpaca",
    "herd",
    "wool",
    "andes",
    "pasture",
    "fiber",
    "guard",
    "trek",
    "valley",
    "river",
    "stone",
    "sun",
]


def corpus(seed: int = 1, paragraphs: int = 20) -> str:
    """Paragraphs of 1–8 sentences of 3–15 words; deterministic."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(1, 8)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(3, 15))]
            sentences.append(" ".join(words).capitalize() + rng.choice(".!?"))
        out.append(" ".join(sentences))
    return "\n\n".join(out)


def assert_slices_cover(text: str, chunks: list[TextChunk]) -> None:
    """Each chunk is its slice; consecutive chunks' own content leaves out only whitespace."""
    assert chunks
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert c.start <= c.content_start < c.end
    assert text[: chunks[0].content_start].strip() == ""
    assert text[chunks[-1].end :].strip() == ""
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert text[prev.end : nxt.content_start].strip() == "", "text between chunks was lost"
        assert nxt.content_start >= prev.end


def overlap(prev: TextChunk, nxt: TextChunk) -> int:
    return max(0, prev.end - nxt.start)


SIZES = [(200, 0), (200, 40), (500, 100), (1000, 150), (120, 119)]


@pytest.mark.parametrize("strategy", ["characters", "sentences", "paragraphs", "sections"])
@pytest.mark.parametrize(("size", "over"), SIZES)
def test_chunks_never_exceed_size_and_overlap_never_exceeds_overlap(
    strategy: str, size: int, over: int
) -> None:
    text = corpus()
    chunks = chunk_text(text, strategy, size, over)
    assert_slices_cover(text, chunks)
    assert max(len(c.text) for c in chunks) <= size
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        shared = overlap(prev, nxt)
        assert shared <= over
        if shared:
            assert prev.text.endswith(text[nxt.start : prev.end])
            assert nxt.text.startswith(text[nxt.start : prev.end])
            assert text[nxt.start - 1].isspace(), "overlap starts mid-word"


def test_character_chunks_use_nearly_all_of_the_overlap() -> None:
    text = corpus(2)
    longest_word = max(len(w) for w in text.split())
    chunks = chunk_text(text, "characters", 300, 60)
    overlaps = [overlap(a, b) for a, b in zip(chunks, chunks[1:], strict=False)]
    assert all(60 - longest_word - 1 <= o <= 60 for o in overlaps), overlaps
    # packing is greedy: every chunk but the last is within one word of the size
    assert all(len(c.text) > 300 - longest_word - 1 for c in chunks[:-1])


def test_sentences_are_kept_whole_and_packed() -> None:
    text = corpus(3)
    sentences = re.findall(r"[^.!?\s][^.!?]*[.!?]", text)
    chunks = chunk_text(text, "sentences", 250, 0)
    for c in chunks:
        assert c.text[0].isupper() and c.text[-1] in ".!?"
    rebuilt = [s for c in chunks for s in re.findall(r"[^.!?\s][^.!?]*[.!?]", c.text)]
    assert rebuilt == sentences
    # greedy: the next sentence would not have fitted
    for c, nxt in zip(chunks, chunks[1:], strict=False):
        first_next = re.match(r"[^.!?]*[.!?]", nxt.text)
        assert first_next is not None
        assert len(c.text) + 1 + len(first_next.group(0)) > 250


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    text = corpus(4)
    paragraphs = text.split("\n\n")
    size = max(len(p) for p in paragraphs)
    chunks = chunk_text(text, "paragraphs", size, 0)
    assert [p for c in chunks for p in c.text.split("\n\n")] == paragraphs
    for c, nxt in zip(chunks, chunks[1:], strict=False):
        assert len(c.text) + 2 + len(nxt.text.split("\n\n")[0]) > size


def test_an_oversized_paragraph_is_split_at_sentences_then_words_then_characters() -> None:
    long_sentence = " ".join(["word"] * 100) + "."
    giant_word = "x" * 250
    text = f"Short one. {long_sentence} Another short one.\n\n{giant_word}"
    chunks = chunk_text(text, "paragraphs", 100, 0)
    assert all(len(c.text) <= 100 for c in chunks)
    # the long sentence is cut between words (its pieces packed with the short sentences)
    assert all(
        set(c.text.split()) <= {"Short", "one.", "word", "word.", "Another", "short"} for c in chunks[:-3]
    )
    assert " ".join(c.text for c in chunks[:-3]).split() == text.split()[:-1]
    # the word longer than a chunk is cut by characters
    assert [c.text for c in chunks[-3:]] == ["x" * 100, "x" * 100, "x" * 50]


def test_oversized_units_leave_room_for_the_overlap() -> None:
    text = "y" * 1000
    chunks = chunk_text(text, "characters", 100, 20)
    assert all(len(c.text) <= 100 for c in chunks)
    assert [overlap(a, b) for a, b in zip(chunks, chunks[1:], strict=False)] == [20] * (len(chunks) - 1)
    assert "".join(text[c.content_start : c.end] for c in chunks) == text


def test_sections_split_at_markdown_headings_outside_code_fences() -> None:
    text = "# One\n\nAlpha text.\n\n```\n# not a heading\n```\n\n## Two\n\nBeta text.\n\n# Three\n\nGamma."
    chunks = chunk_text(text, "sections", 1000, 100)
    assert [c.text.splitlines()[0] for c in chunks] == ["# One", "## Two", "# Three"]
    assert "# not a heading" in chunks[0].text


def test_sections_with_given_boundaries_never_cross_them_even_with_overlap() -> None:
    text = corpus(5, paragraphs=12)
    cuts = [m.start() for m in re.finditer(r"\n\n", text)][::3]
    boundaries = [c + 2 for c in cuts]
    chunks = chunk_text(text, "sections", 300, 80, boundaries=boundaries)
    spans = segments(text, boundaries)
    for c in chunks:
        assert any(s.start <= c.start and c.end <= s.end for s in spans)
        assert len(c.text) <= 300
    # each segment starts a new chunk, with no overlap carried over from the previous segment
    by_start = {c.content_start: c for c in chunks}
    for b in boundaries:
        first = len(text[:b]) + (len(text[b:]) - len(text[b:].lstrip()))
        assert first in by_start and by_start[first].start == first


def test_pages_needs_boundaries() -> None:
    with pytest.raises(ValueError, match="page boundaries"):
        chunk_text("text", "pages", 100, 0)


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError):
        chunk_text("text", "characters", 100, 100)


def test_whitespace_only_text_gives_no_chunks() -> None:
    assert chunk_text(" \n\n \t", "paragraphs", 100, 10) == []


def test_rows_repeat_the_header_and_keep_every_row_once() -> None:
    header = "id,name,city"
    rows = [f"{i},name-{i},city-{i % 7}" for i in range(1, 200)]
    chunks = chunk_rows(rows, header, 300)
    assert all(c.text.startswith(header + "\n") for c in chunks)
    assert all(len(c.text) <= 300 for c in chunks)
    assert [r for c in chunks for r in c.text.split("\n")[1:]] == rows
    assert [(c.first, c.last) for c in chunks][0][0] == 0
    for c, nxt in zip(chunks, chunks[1:], strict=False):
        assert nxt.first == c.last + 1
        assert len(c.text) + 1 + len(rows[nxt.first]) > 300  # packed greedily


def test_a_row_longer_than_the_budget_is_split_with_the_header_on_each_piece() -> None:
    header = "k,v"
    rows = ["1,short", "2," + "word " * 100, "3,short"]
    chunks = chunk_rows(rows, header, 120)
    assert all(c.text.startswith("k,v\n") and len(c.text) <= 120 for c in chunks)
    middle = [c for c in chunks if c.first == c.last == 1]
    assert len(middle) > 3
    assert " ".join(c.text[4:] for c in middle).split() == rows[1].split()


def test_a_long_header_is_cut_to_half_the_size() -> None:
    header = ",".join(f"column_{i}" for i in range(50))
    chunks = chunk_rows(["1,2,3", "4,5,6"], header, 100)
    assert chunks[0].text.split("\n")[0] == header[: header_limit(100)]
    assert all(len(c.text) <= 100 for c in chunks)


def test_rows_without_a_header_and_blank_rows_skipped() -> None:
    chunks = chunk_rows(["a", "", "  ", "b"], None, 100)
    assert [(c.text, c.first, c.last) for c in chunks] == [("a\nb", 0, 3)]


def test_validate_strategy_lists_the_known_names() -> None:
    assert validate_strategy(" Paragraphs ") == "paragraphs"
    with pytest.raises(ValueError) as info:
        validate_strategy("magic")
    for name in (*STRATEGIES, *FALLBACKS):
        assert name in str(info.value)


def test_resolve_strategy_falls_back_with_a_warning() -> None:
    supported = ("characters", "sentences", "paragraphs", "sections")
    assert resolve_strategy("sentences", supported, "paragraphs", parser="text").warning is None
    semantic = resolve_strategy("semantic", supported, "paragraphs", parser="text")
    assert semantic.strategy == "paragraphs" and "'semantic'" in (semantic.warning or "")
    pages = resolve_strategy("pages", supported, "paragraphs", parser="text")
    assert pages.strategy == "paragraphs" and "does not apply to the text parser" in (pages.warning or "")
    rows = resolve_strategy("full", ("rows",), "rows", parser="csv")
    assert rows.strategy == "rows" and rows.warning


def test_tiny_chunk_sizes_still_keep_every_character() -> None:
    chunks = chunk_rows(["abc", "de"], "header", 2)
    assert "".join(c.text.replace("\n", "") for c in chunks) == "abcde"
    assert all(len(c.text) <= 2 for c in chunks)
    text = "some words here"
    assert "".join(c.text for c in chunk_text(text, "characters", 1, 0)) == text.replace(" ", "")
