"""Headings with levels, the heading path above each chunk, and the document outline."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import Chunk, Extractor, PluginConfig, SourceFile

# The title and its closing hashes are split in Python: a lazy ``(.+?)[ \t#]*$`` is cubic on
# "# a" + spaces + "b".
_ATX_RE = re.compile(r" {0,3}(#{1,6})[ \t](.+)$")
_SETEXT_RE = re.compile(r" {0,3}(=+|-{2,})[ \t]*$")
_HTML_RE = re.compile(r"\s*<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]+>")
_NUMBERED_RE = re.compile(
    r" {0,3}(?:(?P<num>\d{1,2}(?:\.\d{1,2}){0,5})\.?|(?P<kw>Chapter|Part|Section|Article|Appendix|Annex)"
    r"\s+(?P<kwnum>\d{1,3}(?:\.\d{1,3}){0,5}|[IVXLC]{1,6}|[A-Z]))[:.)]?(?:[ \t]+(?P<title>\S.*?))?[ \t]*$"
)
_LIST_RE = re.compile(r"\s*(?:[-*+•]|\d{1,3}[.)]|[a-z][.)])\s+\S")
_FENCE_PREFIXES = ("```", "~~~")
_RULE_RE = re.compile(r"\s*(?:[-=*_]\s*){3,}$")  # a horizontal rule: neither heading nor body


@dataclass(frozen=True)
class Heading:
    pos: int
    level: int
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "level": self.level}


class HeadingConfig(PluginConfig):
    max_level: int = Field(default=6, ge=1, le=6, description="Ignore headings deeper than this.")
    include_hierarchy: bool = Field(
        default=True, description="Add heading_path: the headings above each chunk."
    )
    extract_outline: bool = Field(
        default=True, description="Add the document outline (see outline_on_every_chunk)."
    )
    outline_on_every_chunk: bool = Field(
        default=False, description="Outline on every chunk instead of the first only."
    )
    max_outline_entries: int = Field(default=200, ge=1, description="Cap on the outline's length.")
    min_heading_length: int = Field(default=2, ge=1)
    max_heading_length: int = Field(default=200, ge=10)
    extract_markdown_headings: bool = True
    extract_underlined_headings: bool = True
    extract_numbered_headings: bool = True
    extract_caps_headings: bool = True
    extract_html_headings: bool = True


def _numbered(line: str, prev: str, nxt: str) -> tuple[int, str] | None:
    """'1.2 Scope' → (2, '1.2 Scope'); 'Section 4' → (1, 'Section 4'). Lines inside a
    numbered or bulleted list, or that read like sentences, are not headings."""
    m = _NUMBERED_RE.match(line)
    if not m:
        return None
    title = m.group("title") or ""
    if m.group("num"):
        if not title or not title[0].isupper() or _LIST_RE.match(prev) or _LIST_RE.match(nxt):
            return None
        number = m.group("num")
    else:
        number = m.group("kwnum")
    if title and (len(title.split()) > 12 or title[-1] in ".,;"):
        return None
    return number.count(".") + 1 if number[0].isdigit() else 1, line.strip()


def _all_caps(line: str) -> bool:
    text = line.strip()
    letters = [c for c in text if c.isalpha()]
    return (
        len(letters) >= 3
        and all(c.isupper() for c in letters)
        and len(text.split()) <= 10
        and text[-1] not in ".,;|"
        and not text.startswith(("|", "+"))
    )


class _Scanner:
    """Finds headings line by line, remembering an open code fence between chunks."""

    def __init__(self, cfg: HeadingConfig) -> None:
        self.cfg = cfg
        self.in_fence = False

    def scan(self, text: str) -> tuple[list[Heading], int | None]:
        """The chunk's headings and the offset of its first body (non-heading) line."""
        cfg = self.cfg
        lines = text.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line))
        found: list[Heading] = []
        body: int | None = None
        skip = -1
        for i, raw in enumerate(lines):
            line = raw.rstrip("\r\n")
            if i == skip or not line.strip() or _RULE_RE.match(line):
                continue
            if line.lstrip().startswith(_FENCE_PREFIXES):
                self.in_fence = not self.in_fence
                body = offsets[i] if body is None else body
                continue
            nxt = lines[i + 1].rstrip("\r\n") if i + 1 < len(lines) else ""
            hit = None if self.in_fence else self._heading(line, lines[i - 1] if i else "", nxt)
            if hit is None and not self.in_fence and (hit := self._setext(line, nxt)):
                skip = i + 1
            if hit is None:
                body = offsets[i] if body is None else body
                continue
            level, heading = hit
            if cfg.min_heading_length <= len(heading) <= cfg.max_heading_length and level <= cfg.max_level:
                found.append(Heading(offsets[i], level, heading))
        return found, body

    def _setext(self, line: str, nxt: str) -> tuple[int, str] | None:
        """A line underlined by === (level 1) or --- (level 2)."""
        cfg = self.cfg
        if not cfg.extract_underlined_headings or not _SETEXT_RE.match(nxt):
            return None
        if _LIST_RE.match(line) or "|" in line or len(line.strip()) > cfg.max_heading_length:
            return None
        return (1 if nxt.strip()[0] == "=" else 2), line.strip()

    def _heading(self, line: str, prev: str, nxt: str) -> tuple[int, str] | None:
        cfg = self.cfg
        if cfg.extract_markdown_headings and (m := _ATX_RE.match(line)):
            rest = m.group(2)
            return len(m.group(1)), (rest.rstrip(" \t#") or rest.lstrip(" \t")[:1]).strip()
        if cfg.extract_html_headings and (m := _HTML_RE.match(line)):
            return int(m.group(1)), " ".join(html.unescape(_TAG_RE.sub("", m.group(2))).split())
        if cfg.extract_numbered_headings and (hit := _numbered(line, prev.strip(), nxt)):
            return hit
        if cfg.extract_caps_headings and _all_caps(line):
            return 1, line.strip()
        return None


class HeadingExtractor(Extractor[HeadingConfig]):
    """Adds ``headings`` ([{text, level}] in the chunk), ``heading_count``, and with
    ``include_hierarchy`` ``heading_path`` (the texts of the headings the chunk sits under,
    outermost first, including headings that open the chunk). With ``extract_outline``,
    ``outline`` ([{text, level}] for the whole file) goes on the first chunk only, or on
    every chunk with ``outline_on_every_chunk``.

    Detected: markdown ``#`` headings, setext underlines (=== level 1, --- level 2),
    numbered headings ("1.2 Scope" → level 2, "Section 4", "Chapter II"), ALL-CAPS lines
    (level 1) and HTML ``<h1>``–``<h6>``. Chunks must be given in document order.
    """

    name = "headings"
    aliases = ("HeadingExtractor", "heading_extractor")
    description = "Headings with levels, heading path per chunk, document outline."
    ignored_keys = frozenset({"generate_toc", "detect_sections"})

    def extract(self, chunks: list[Chunk], source: SourceFile) -> None:
        cfg = self.config
        scanner = _Scanner(cfg)
        stack: list[Heading] = []
        outline: list[dict[str, Any]] = []
        for chunk in chunks:
            found, body = scanner.scan(chunk.text or "")
            path: list[str] | None = None
            for h in found:
                if path is None and body is not None and h.pos > body:
                    path = [s.text for s in stack]
                while stack and stack[-1].level >= h.level:
                    stack.pop()
                stack.append(h)
            if path is None:
                path = [s.text for s in stack]
            chunk.metadata["headings"] = [h.as_json() for h in found]
            chunk.metadata["heading_count"] = len(found)
            if cfg.include_hierarchy:
                chunk.metadata["heading_path"] = path
            outline.extend(h.as_json() for h in found[: max(0, cfg.max_outline_entries - len(outline))])
        if cfg.extract_outline and chunks:
            for chunk in chunks if cfg.outline_on_every_chunk else chunks[:1]:
                chunk.metadata["outline"] = list(outline)
