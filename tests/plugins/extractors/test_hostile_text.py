"""Extractors stay linear on hostile text, and a user's regex gets a time budget (issue 10)."""

from __future__ import annotations

import time

import pytest

from tests.hostile_samples import cubic_heading, unclosed_tables
from tests.plugins.extractors.conftest import Build, Run

pytestmark = pytest.mark.timeout(20)


def test_headings_on_a_heading_with_a_long_run_of_spaces(run: Run) -> None:
    (chunk,) = run("headings", [cubic_heading() + "\n\n## Next ##\n"])
    assert [h["text"] for h in chunk.metadata["headings"]][-1] == "Next"


TABLE = (
    "<table><tr><th>K</th><th>V</th></tr><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></table>"
)


def test_tables_on_unclosed_html_tables(run: Run) -> None:
    (chunk,) = run("tables", [unclosed_tables() + "<table><tr><td>x"])
    assert chunk.metadata["table_count"] == 0  # nothing closed: no table, found at once
    (chunk,) = run("tables", [TABLE + unclosed_tables()])
    assert chunk.metadata["table_count"] == 1 and chunk.metadata["tables"][0]["rows"] == [
        ["a", "1"],
        ["b", "2"],
    ]


def test_a_catastrophic_custom_pattern_gives_up_after_its_budget(build: Build, source) -> None:  # type: ignore[no-untyped-def]
    from llamafarm_core.testing.extractors import make_chunks

    extractor = build("patterns", patterns=[], custom_patterns={"evil": r"(a|aa)+$"})
    chunks = make_chunks(["a" * 5_000 + "!"], source.file_hash, source.filename)
    started = time.monotonic()
    with pytest.raises(ValueError, match="custom pattern 'evil' took longer than 1 s"):
        extractor.extract(chunks, source)
    assert time.monotonic() - started < 10


def test_a_custom_pattern_still_finds_matches(run: Run) -> None:
    (chunk,) = run(
        "patterns", ["order AB-123 and CD-456"], patterns=[], custom_patterns={"order": r"[A-Z]{2}-\d+"}
    )
    assert chunk.metadata["patterns"] == {"order": ["AB-123", "CD-456"]}


def test_a_date_format_with_many_spaces_stays_linear(run: Run) -> None:
    fmt = "%d" + " " * 30 + "%m"
    (chunk,) = run("datetime", ["1" + " " * 20_000 + "x 05   06 y"], date_formats=[fmt])
    assert chunk.metadata is not None
