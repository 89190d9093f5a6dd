"""The HTML parser: visible text only, headings as sections, tables and lists as lines."""

from __future__ import annotations

import pytest

from llamafarm_core.testing.parsers import ParserContract, ParserSample

MARKER = "Llamas hum softly to their young."

PAGE = """<!DOCTYPE html>
<html><head><title>Llama &amp; friends</title>
<meta charset="utf-8">
<style>body {{ color: red; }} .secret {{ }}</style>
<script>var hidden = "SCRIPT TEXT";</script>
</head>
<body>
<nav><a href="/">Home</a></nav>
<h1>Camelids</h1>
<p>Camelids live in <b>South&nbsp;America</b> and   beyond.</p>
{extra}
<h2>Llamas</h2>
<p>{marker}</p>
<noscript>NOSCRIPT TEXT</noscript>
<table><tr><th>Name</th><th>Age</th></tr><tr><td>Dolly</td><td>4</td></tr></table>
<ul><li>hay</li><li>oats</li></ul>
<pre>line one
    indented line</pre>
<template><p>TEMPLATE TEXT</p></template>
<script type="application/json">{{"SCRIPT": "JSON"}}</script>
</body></html>
"""


def page(extra: str = "", marker: str = MARKER) -> bytes:
    return PAGE.format(extra=extra, marker=marker).encode()


class TestHtmlParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("HTMLParser", chunk_size=200, chunk_overlap=20)

    @pytest.fixture
    def sample(self) -> ParserSample:
        extra = "".join(f"<p>Filler paragraph {i} about the herd and its keepers.</p>" for i in range(10))
        return ParserSample(page(extra), "camelids.html", MARKER)


def test_visible_text_only_with_sections(parse) -> None:
    result = parse("html", page(), "c.html", chunk_size=1000, chunk_overlap=0)
    text = "\n\n".join(c.text for c in result.chunks)
    for hidden in ("SCRIPT", "color: red", "NOSCRIPT", "TEMPLATE", "Llama & friends"):
        assert hidden not in text
    assert [c.metadata.get("section") for c in result.chunks] == [None, "Camelids", "Camelids > Llamas"]
    assert result.chunks[0].text == "Home"
    assert result.chunks[1].text == "Camelids\n\nCamelids live in South America and beyond."
    llamas = result.chunks[2].text
    assert llamas.startswith("Llamas\n\n" + MARKER)
    assert "Name | Age\nDolly | 4" in llamas
    assert "- hay\n\n- oats" in llamas
    assert "line one\n    indented line" in llamas
    assert result.metadata["title"] == "Llama & friends"


def test_declared_charset_is_honoured(parse) -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><p>Caf\u00e9 \u2013 na\u00efve</p></body></html>'
    result = parse("html", html.encode("cp1252"), "w.html")
    assert result.chunks[0].text == "Caf\u00e9 \u2013 na\u00efve"
    assert result.warnings == []


def test_broken_markup_still_yields_text(parse) -> None:
    result = parse("HTMLParser_BeautifulSoup", b"<div><p>unclosed <b>bold <i>text</div> tail", "b.htm")
    assert result.chunks[0].text == "unclosed bold text\n\ntail"
