"""Which parsers and extractors of a data-processing strategy apply to a file.

Priority: **higher first**. The original LlamaFarm sorted ascending in code, but its example
configs read as if a higher priority is preferred (``PDFParser_LlamaIndex`` at 100 before
``PDFParser_PyPDF2`` at 50, "fallback" at the lower number); we follow the examples. Refs with
equal priority keep their order in the file.

Matching is on the file's ORIGINAL base name (directories and ``..`` parts are dropped),
case-insensitively:

- a ref matches when any ``file_include_patterns`` glob matches the name, or its extension
  is in ``file_extensions`` (``pdf`` and ``.PDF`` both mean ``.pdf``);
- a parser ref with neither matches the extensions its class declares (``Parser.extensions``);
  an extractor ref with no include patterns matches every file (``*``);
- any ``file_exclude_patterns`` match removes the ref, whatever else matched.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from typing import TypeVar

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.parser import Parser
from llamafarm_core.config.models import DataProcessingStrategy, ExtractorRef, ParserRef
from llamafarm_core.plugins.registry import Registry

# The built-in parser type (YAML ``type:``) for each extension; used by the ``auto`` parser.
EXTENSION_PARSERS: dict[str, str] = {
    **dict.fromkeys((".pdf",), "pdf"),
    **dict.fromkeys((".md", ".markdown", ".mdown", ".mkd", ".mdx"), "markdown"),
    **dict.fromkeys((".docx", ".docm"), "docx"),
    **dict.fromkeys((".csv", ".tsv"), "csv"),
    **dict.fromkeys((".xlsx", ".xlsm", ".xltx", ".xltm"), "xlsx"),
    **dict.fromkeys((".html", ".htm", ".xhtml"), "html"),
    **dict.fromkeys((".json", ".jsonl", ".ndjson"), "json"),
    **dict.fromkeys((".msg",), "msg"),
    **dict.fromkeys(
        (".txt", ".text", ".log", ".rst", ".asc", ".conf", ".cfg", ".ini", ".yaml", ".yml", ".toml", ".xml", ".tex"),
        "text",
    ),
    **dict.fromkeys(
        (
            ".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".c", ".h", ".cpp", ".cc",
            ".cxx", ".hpp", ".hh", ".cs", ".go", ".rs", ".rb", ".php", ".swift", ".kt", ".kts", ".scala",
            ".r", ".sql", ".sh", ".bash", ".zsh", ".ps1", ".lua", ".pl", ".dart", ".ex", ".exs", ".hs", ".jl",
        ),
        "code",
    ),
}  # fmt: skip

R = TypeVar("R", ParserRef, ExtractorRef)


def base_name(filename: str) -> str:
    """The last path component of a user-supplied name (``/`` or ``\\`` separated)."""
    return filename.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def extension(filename: str) -> str:
    """Lower-case extension with the dot (``.pdf``), or ``''``; dot-files have none."""
    name = base_name(filename)
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem.strip(".") and ext else ""


def builtin_parser_type(filename: str) -> str | None:
    """The built-in parser type for ``filename``'s extension, or None when none reads it."""
    return EXTENSION_PARSERS.get(extension(filename))


def _glob(name: str, patterns: Iterable[str]) -> bool:
    lower = name.lower()
    return any(fnmatch.fnmatchcase(lower, base_name(p).lower()) for p in patterns)


def _normalise_extensions(exts: Iterable[str]) -> set[str]:
    return {("." + e.lstrip(".")).lower() for e in exts if e.strip(".")}


def _by_priority(refs: Sequence[R]) -> list[R]:
    return sorted(refs, key=lambda r: -r.priority)  # sorted() is stable: ties keep file order


def parser_matches(ref: ParserRef, filename: str, registry: Registry) -> bool:
    """Whether ``ref`` takes ``filename`` (see the module docstring for the rules)."""
    name = base_name(filename)
    if ref.file_exclude_patterns and _glob(name, ref.file_exclude_patterns):
        return False
    if ref.file_include_patterns or ref.file_extensions:
        return bool(
            (ref.file_include_patterns and _glob(name, ref.file_include_patterns))
            or (ref.file_extensions and extension(name) in _normalise_extensions(ref.file_extensions))
        )
    cls = registry.get(PluginKind.PARSER, ref.type).cls
    own = cls.extensions if issubclass(cls, Parser) else ()
    return extension(name) in _normalise_extensions(own)


def matching_parsers(strategy: DataProcessingStrategy, filename: str, registry: Registry) -> list[ParserRef]:
    """The strategy's parser refs that take ``filename``, higher priority first.

    The pipeline tries them in this order and moves to the next one when a parser raises
    ParseFailed; an empty list means the file type is unsupported by this strategy.
    """
    return _by_priority([ref for ref in strategy.parsers if parser_matches(ref, filename, registry)])


def extractor_matches(ref: ExtractorRef, filename: str) -> bool:
    name = base_name(filename)
    if ref.file_exclude_patterns and _glob(name, ref.file_exclude_patterns):
        return False
    return _glob(name, ref.file_include_patterns or ["*"])


def matching_extractors(strategy: DataProcessingStrategy, filename: str) -> list[ExtractorRef]:
    """The strategy's extractor refs that apply to ``filename``, higher priority first."""
    return _by_priority([ref for ref in strategy.extractors if extractor_matches(ref, filename)])
