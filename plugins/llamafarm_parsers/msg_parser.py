"""Outlook .msg e-mails through the ``extract-msg`` package (a dependency, imported lazily)."""

from __future__ import annotations

import importlib.util
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import (
    ParseFailed,
    ParseResult,
    SourceFile,
    base_name,
    normalize_text,
)
from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig

_HEADERS = (("subject", "Subject"), ("sender", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"))


class MsgConfig(BuiltinParserConfig):
    chunk_strategy: str = Field("paragraphs", description="paragraphs (default), sentences, characters.")


class MsgParser(BuiltinParser[MsgConfig]):
    """Outlook .msg files: headers (subject, from, to, date) and the plain-text body.

    Needs ``extract-msg`` (a dependency); were it missing, every .msg file fails with the advice
    to install it.
    """

    name = "msg"
    aliases = ("MsgParser_ExtractMsg", "MsgParser")
    extensions = (".msg",)
    strategies = ("paragraphs", "sentences", "characters")
    ignored_keys = frozenset(
        {
            "extract_attachments",
            "extract_headers",
            "include_attachment_content",
            "clean_text",
            "preserve_formatting",
        }
    )

    def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
        name = base_name(source.filename)
        if importlib.util.find_spec("extract_msg") is None:
            raise ParseFailed(
                f"reading Outlook .msg files ({name}) needs the extract-msg package: pip install extract-msg"
            )
        import extract_msg

        try:
            message = extract_msg.openMsg(str(source.path))
        except Exception as err:  # extract-msg raises its own and olefile errors
            raise ParseFailed(
                f"{name} is not a valid Outlook .msg file ({type(err).__name__}: {err})"
            ) from None
        try:
            headers = {key: str(value) for key, _ in _HEADERS if (value := getattr(message, key, None))}
            body = getattr(message, "body", None) or ""
        finally:
            close = getattr(message, "close", None)
            if close is not None:
                close()
        head = "\n".join(f"{label}: {headers[key]}" for key, label in _HEADERS if key in headers)
        text = normalize_text(f"{head}\n\n{body}" if head else str(body))
        chunks = self.text_chunks(text, strategy, headings_as_sections=False)
        metadata: dict[str, Any] = dict(headers) if self.config.extract_metadata else {}
        return ParseResult(chunks, [], metadata)
