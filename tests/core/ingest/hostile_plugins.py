"""Parsers that misbehave the way a hostile file makes a real one misbehave: stuck in C code
(a backtracking regex, which no Python thread can interrupt) or allocating without bound.

Module-level classes, so the isolation child can import them by name. ``registry_with`` adds
them to the installed plugins.
"""

from __future__ import annotations

import re
from typing import ClassVar

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.parser import Parser
from llamafarm_core.documents import Chunk, ParseResult, SourceFile
from llamafarm_core.plugins.registry import PluginInfo, Registry


class StuckParser(Parser):
    """Runs an exponential regex in C: never returns on its own (Ctrl-C can't stop it either)."""

    name = "stuck"
    extensions: ClassVar[tuple[str, ...]] = (".stuck",)

    def parse(self, source: SourceFile) -> ParseResult:
        re.match(r"(a|aa)+$", "a" * 200 + "b")
        return ParseResult([Chunk("never", {})], [], {})


class GreedyParser(Parser):
    """Allocates far more memory than the budget allows."""

    name = "greedy"
    extensions: ClassVar[tuple[str, ...]] = (".greedy",)

    def parse(self, source: SourceFile) -> ParseResult:
        blocks = [bytearray(256 * 1024 * 1024) for _ in range(64)]  # 16 GiB
        return ParseResult([Chunk(str(len(blocks)), {})], [], {})


def registry_with(base: Registry) -> Registry:
    """The installed plugins plus the two above."""
    extra = [PluginInfo(PluginKind.PARSER, cls.name, (), cls, "tests") for cls in (StuckParser, GreedyParser)]
    return Registry([*base.plugins(), *extra])
