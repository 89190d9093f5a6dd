"""``auto`` (alias ``DirectoryParser``): hands each file to the built-in parser for its extension."""

from __future__ import annotations

from pydantic import Field

from llamafarm_core.plugin_api import (
    EXTENSION_PARSERS,
    ParseFailed,
    Parser,
    ParseResult,
    SourceFile,
    base_name,
    builtin_parser_type,
    extension,
)
from llamafarm_parsers.base import BuiltinParserConfig


class AutoConfig(BuiltinParserConfig):
    chunk_strategy: str = Field(
        "paragraphs",
        description="Passed on only when set; otherwise each parser uses its own default "
        "(pdf: pages, csv/xlsx: rows, markdown/html: sections, ...).",
    )


_SHARED_OPTIONS = ("chunk_size", "chunk_overlap", "chunk_strategy", "extract_metadata", "encoding")


class AutoParser(Parser[AutoConfig]):
    """Picks the built-in parser by the file's extension (see ``EXTENSION_PARSERS``).

    Options given here (``chunk_size``, ``chunk_overlap``, ``extract_metadata``, ``encoding``,
    and ``chunk_strategy`` when set) are passed on; otherwise each parser's defaults apply.
    A file with no extension is read as text; an unknown extension fails with the list of
    supported ones.
    """

    name = "auto"
    aliases = ("DirectoryParser", "AutoParser")
    extensions = tuple(EXTENSION_PARSERS)

    def parse(self, source: SourceFile) -> ParseResult:
        kind = builtin_parser_type(source.filename)
        if kind is None:
            ext = extension(source.filename)
            if ext:
                raise ParseFailed(
                    f"unsupported file type {ext!r} ({base_name(source.filename)}); the auto parser reads "
                    f"{', '.join(sorted(EXTENSION_PARSERS))}"
                )
            kind = "text"
        return self.delegate(kind).parse(source)

    def delegate(self, kind: str) -> Parser:
        """The built-in parser ``kind`` configured with the options given to ``auto``."""
        cls = builtin_classes()[kind]
        given = self.config.model_fields_set & set(_SHARED_OPTIONS)
        if given & {"chunk_size", "chunk_overlap"}:
            given |= {"chunk_size", "chunk_overlap"}  # validated together: overlap < size
        options = {key: getattr(self.config, key) for key in given}
        return cls(cls.Config.model_validate(options), **self.context)


def builtin_classes() -> dict[str, type[Parser]]:
    """The built-in parser classes by name (imported on first use)."""
    from llamafarm_parsers import register_parsers

    classes: list[type[Parser]] = register_parsers()
    return {cls.name: cls for cls in classes if cls is not AutoParser}
