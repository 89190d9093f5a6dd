"""A third-party parser plugin: upper-cases ``.shout`` files, one chunk per line."""

from __future__ import annotations

from llamafarm_core.plugin_api import Chunk, Parser, ParserConfig, ParseResult, SourceFile, hookimpl


class ShoutConfig(ParserConfig):
    exclamations: int = 1


class ShoutParser(Parser[ShoutConfig]):
    name = "shout"
    aliases = ("ShoutParser_Loud",)
    extensions = (".shout",)

    def parse(self, source: SourceFile) -> ParseResult:
        bang = "!" * self.config.exclamations
        lines = [ln.strip() for ln in source.read_bytes().decode().splitlines() if ln.strip()]
        return ParseResult([Chunk(ln.upper() + bang, {"line": i}) for i, ln in enumerate(lines)])


@hookimpl
def register_parsers() -> list[type]:
    return [ShoutParser]
