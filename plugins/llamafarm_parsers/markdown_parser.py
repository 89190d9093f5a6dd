"""Markdown: sections by heading, YAML front matter into metadata."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import ParseResult, SourceFile, markdown_headings, normalize_text
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig, heading_regions

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)

# Keys the pipeline or this parser set on chunks; front matter keys with these names are
# stored as ``frontmatter_<key>`` instead.
RESERVED_KEYS = frozenset(
    {"file_hash", "filename", "chunk_index", "document_id", "page", "heading", "heading_level", "section"}
)


class MarkdownConfig(BuiltinParserConfig):
    chunk_strategy: str = Field(
        "sections",
        description="sections (default: one or more chunks per heading), paragraphs, sentences, characters.",
    )


class MarkdownParser(BuiltinParser[MarkdownConfig]):
    """Markdown files. Front matter keys go on every chunk (see docs/parsers.md)."""

    name = "markdown"
    aliases = ("MarkdownParser_Python", "MarkdownParser_LlamaIndex")
    extensions = (".md", ".markdown", ".mdown", ".mkd", ".mdx")
    ignored_keys = frozenset(
        {"extract_code_blocks", "extract_links", "extract_tables", "preserve_structure", "clean_text"}
    )

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        decoded = self.decode(data, source)
        text = normalize_text(decoded.text)
        warnings = list(decoded.warnings)
        front, text = split_front_matter(text, warnings)
        text = text.strip("\n")
        headings = markdown_headings(text)
        chunks = self.text_chunks(text, strategy, heading_regions(headings))
        doc_meta: dict[str, Any] = {}
        if self.config.extract_metadata and front:
            chunk_meta = {(f"frontmatter_{k}" if k in RESERVED_KEYS else k): v for k, v in front.items()}
            for chunk in chunks:
                chunk.metadata = {**chunk_meta, **chunk.metadata}
            doc_meta["front_matter"] = front
        title = front.get("title") if isinstance(front.get("title"), str) else None
        title = title or next((h.title for h in headings if h.level == 1), None)
        if title:
            doc_meta["title"] = title
        return ParseResult(chunks, warnings, doc_meta)


def split_front_matter(text: str, warnings: list[str]) -> tuple[dict[str, Any], str]:
    """``(front matter as JSON-safe dict, remaining text)``; bad YAML is a warning, not a failure."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        if _expanded_size(match.group(1) or "") > MAX_FRONT_MATTER_VALUES:
            warnings.append(
                f"front matter expands to more than {MAX_FRONT_MATTER_VALUES:,} values "
                "(YAML aliases) and was ignored"
            )
            return {}, text[match.end() :]
        loaded = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as err:
        warnings.append(f"front matter is not valid YAML and was ignored: {str(err).splitlines()[0]}")
        return {}, text[match.end() :]
    if loaded is None:
        return {}, text[match.end() :]
    if not isinstance(loaded, dict):
        warnings.append("front matter is not a mapping of keys to values and was ignored")
        return {}, text[match.end() :]
    return {str(k): _json_safe(v) for k, v in loaded.items()}, text[match.end() :]


# YAML aliases are shared by reference when loaded but copied when the front matter is
# turned into metadata: 300 bytes of nested aliases ("billion laughs") expand to gigabytes.
MAX_FRONT_MATTER_VALUES = 10_000


def _expanded_size(front: str) -> int:
    """How many values the front matter holds once every alias is copied out (counted on
    the node graph, each shared node once, so the count itself stays cheap)."""
    import yaml

    root = yaml.compose(front, Loader=yaml.SafeLoader)
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) not in sizes:
            sizes[id(node)] = 0  # a recursive alias counts once
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            sizes[id(node)] = min(1 + sum(size(c) for c in children), 2**62)
        return sizes[id(node)]

    return size(root) if root is not None else 0


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
