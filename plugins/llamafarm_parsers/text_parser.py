"""Plain text files: decoded with an encoding fallback, chunked by paragraphs by default."""

from __future__ import annotations

from pydantic import Field

from llamafarm_core.plugin_api import ParseResult, SourceFile, normalize_text
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig


class TextConfig(BuiltinParserConfig):
    chunk_strategy: str = Field(
        "paragraphs", description="paragraphs (default), sentences, characters or sections."
    )


class TextParser(BuiltinParser[TextConfig]):
    """Plain text. Any text file can be given to it (e.g. .html or .py as raw text)."""

    name = "text"
    aliases = ("TextParser_Python", "TextParser_LlamaIndex")
    extensions = (
        ".txt", ".text", ".log", ".rst", ".asc", ".conf", ".cfg", ".ini",
        ".yaml", ".yml", ".toml", ".xml", ".tex",
    )  # fmt: skip
    ignored_keys = frozenset(
        {
            "clean_text",
            "semantic_buffer_size",
            "semantic_breakpoint_percentile_threshold",
            "token_model",
            "preserve_code_structure",
            "detect_language",
            "include_prev_next_rel",
        }
    )

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        decoded = self.decode(data, source)
        text = normalize_text(decoded.text)
        # '# ...' lines are comments in .conf/.yaml files: only treat them as headings when asked.
        chunks = self.text_chunks(text, strategy, headings_as_sections=strategy == "sections")
        return ParseResult(chunks, list(decoded.warnings), {"encoding": decoded.encoding})
