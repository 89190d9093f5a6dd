"""A third-party parser plugin: upper-cases ``.shout`` files, one chunk per line."""

from __future__ import annotations

from llamafarm_core.components import Parser, ParserConfig
from llamafarm_core.documents import Chunk, ParseResult, SourceFile
from llamafarm_core.plugins import hookimpl


class ShoutConfig(ParserConfig):
    exclamations: int = 1


class ShoutParser(Parser):
    name = "shout"
    aliases = ("ShoutParser_Loud",)
    Config = ShoutConfig
    extensions = (".shout",)

    def parse(self, source: SourceFile) -> ParseResult:
        assert isinstance(self.config, ShoutConfig)
        bang = "!" * self.config.exclamations
        lines = [ln.strip() for ln in source.read_bytes().decode().splitlines() if ln.strip()]
        return ParseResult([Chunk(ln.upper() + bang, {"line": i}) for i, ln in enumerate(lines)])


@hookimpl
def register_parsers() -> list[type]:
    return [ShoutParser]
