"""Hostile documents finish in linear time (or fail with a reason) instead of running for
minutes: each case took minutes or gigabytes before (issue 10)."""

from __future__ import annotations

import pytest

from tests.hostile_samples import alias_bomb, cubic_heading, trailing_spaces, unclosed_tags, zip_bomb
from tests.plugins.parsers.conftest import Parse

pytestmark = pytest.mark.timeout(20)


@pytest.mark.parametrize("parser,name", [("markdown", "h.md"), ("text", "h.txt")])
def test_a_heading_with_a_long_run_of_spaces(parse: Parse, parser: str, name: str) -> None:
    result = parse(parser, cubic_heading().encode(), name)
    assert result.chunks[0].text.startswith("# a") and result.chunks[-1].text.endswith("b")


@pytest.mark.parametrize("parser,name", [("markdown", "s.md"), ("text", "s.txt"), ("code", "s.py")])
def test_a_long_run_of_spaces_before_a_letter(parse: Parse, parser: str, name: str) -> None:
    result = parse(parser, trailing_spaces().encode(), name)
    assert "".join(c.text for c in result.chunks).strip() == "x"


def test_unclosed_tags_are_text(parse: Parse) -> None:
    result = parse("html", unclosed_tags().encode(), "t.html")
    assert result.chunks[0].text.startswith("<a<a")


def test_markup_after_the_last_close_is_escaped_but_real_tags_still_work(parse: Parse) -> None:
    page = "<html><title>T</title><body><h1>Head</h1><p>Real &amp; text</p><!--x>" * 3 + "<p>tail <b"
    text = "\n".join(c.text for c in parse("html", page.encode(), "p.html").chunks)
    assert "Head" in text and "Real & text" in text and "<title>" not in text and "tail" in text


def test_a_yaml_alias_bomb_in_front_matter_is_ignored_with_a_warning(parse: Parse) -> None:
    result = parse("markdown", alias_bomb().encode(), "bomb.md")
    assert any("YAML aliases" in w for w in result.warnings), result.warnings
    assert "front_matter" not in result.metadata
    assert "survives" in result.chunks[-1].text


@pytest.mark.parametrize(
    "parser,name,member",
    [("docx", "b.docx", "word/document.xml"), ("xlsx", "b.xlsx", "xl/sharedStrings.xml")],
)
def test_a_zip_bomb_fails_with_its_reason(parse: Parse, parser: str, name: str, member: str) -> None:
    from llamafarm_core.errors import ParseFailed

    with pytest.raises(ParseFailed, match="would unpack to 300 MiB, more than the 256 MiB"):
        parse(parser, zip_bomb(member), name)
