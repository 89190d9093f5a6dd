"""HeadingExtractor: heading kinds and levels, heading path across chunks, outline."""

from __future__ import annotations

import pytest

from llamafarm_core.testing.extractors import ExtractorContract

DOC = [
    "# Drug Safety Guide\n\nIntro text about the guide.\n\n## Scope\n\nWho this is for.",
    "Still about scope, continued from the previous chunk.\n\n### Exclusions\n\nWhat is left out.",
    "## Reporting\n\nHow to report a problem.",
    "Closing words with no heading.",
]


class TestHeadingsContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("HeadingExtractor", max_level=4, include_hierarchy=True, extract_outline=True)

    @pytest.fixture
    def sample_texts(self):
        return DOC

    @pytest.fixture
    def expected_keys(self):
        return {"headings", "heading_count", "heading_path"}


def headings(one, text, **config):
    return [(h["text"], h["level"]) for h in one("headings", text, **config)["headings"]]


def test_markdown_levels(one):
    assert headings(one, "# One\n\ntext\n\n## Two ##\n\n###### Six\n\n####### not seven") == [
        ("One", 1), ("Two", 2), ("Six", 6),
    ]  # fmt: skip


def test_setext(one):
    text = "Title\n=====\n\nSome text.\n\nSubtitle\n--------\n\nMore text.\n\n- item\n---\n"
    assert headings(one, text) == [("Title", 1), ("Subtitle", 2)]


def test_numbered_headings(one):
    text = (
        "1 Introduction\n\nText.\n\n1.2 Scope of Work\n\nText.\n\n1.2.3 Fine Print\n\n"
        "Section 4\n\nText.\n\nChapter II: Methods\n\nText.\n\n"
        "Steps:\n1. Preheat the oven\n2. Mix the flour\n\n3 days later it rained.\n"
    )
    assert headings(one, text) == [
        ("1 Introduction", 1), ("1.2 Scope of Work", 2), ("1.2.3 Fine Print", 3), ("Section 4", 1),
        ("Chapter II: Methods", 1),
    ]  # fmt: skip


def test_all_caps_and_html(one):
    text = "GENERAL PROVISIONS\n\nText here.\n\n<h2 class='x'>Fees &amp; <em>Costs</em></h2>\n<p>Body</p>"
    assert headings(one, text) == [("GENERAL PROVISIONS", 1), ("Fees & Costs", 2)]


def test_code_fences_hide_comments_across_chunks(run):
    chunks = run("headings", ["Intro\n\n```bash\n# not a heading", "# still code\n```\n\n# Real"])
    assert chunks[0].metadata["headings"] == []
    assert chunks[1].metadata["headings"] == [{"text": "Real", "level": 1}]


def test_max_level_and_switches(one):
    text = "# A1\n\n## B2\n\n### C3\n\nLOUD LINE\n\n1.1 Numbered Bit\n"
    assert headings(one, text, max_level=2) == [
        ("A1", 1),
        ("B2", 2),
        ("LOUD LINE", 1),
        ("1.1 Numbered Bit", 2),
    ]
    assert headings(one, text, extract_caps_headings=False, extract_numbered_headings=False) == [
        ("A1", 1), ("B2", 2), ("C3", 3),
    ]  # fmt: skip


def test_heading_path_follows_the_document(run):
    chunks = run("headings", DOC)
    assert [c.metadata["heading_path"] for c in chunks] == [
        ["Drug Safety Guide"],  # the chunk's body starts under the H1
        ["Drug Safety Guide", "Scope"],  # carried over from the previous chunk
        ["Drug Safety Guide", "Reporting"],  # the chunk opens with its heading
        ["Drug Safety Guide", "Reporting"],
    ]
    assert [c.metadata["heading_count"] for c in chunks] == [2, 1, 1, 0]


def test_outline_on_first_chunk_or_all(run):
    chunks = run("headings", DOC)
    outline = [
        {"text": "Drug Safety Guide", "level": 1},
        {"text": "Scope", "level": 2},
        {"text": "Exclusions", "level": 3},
        {"text": "Reporting", "level": 2},
    ]
    assert chunks[0].metadata["outline"] == outline
    assert all("outline" not in c.metadata for c in chunks[1:])
    everywhere = run("headings", DOC, outline_on_every_chunk=True, max_outline_entries=2)
    assert all(c.metadata["outline"] == outline[:2] for c in everywhere)


def test_hierarchy_and_outline_can_be_off(run):
    chunks = run("headings", DOC, include_hierarchy=False, extract_outline=False)
    assert all("heading_path" not in c.metadata and "outline" not in c.metadata for c in chunks)


def test_original_keys_accepted(build):
    build("HeadingExtractor", generate_toc=True, detect_sections=True, min_heading_length=5)
