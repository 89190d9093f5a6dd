"""Original file names are metadata only: cleaned here, never used to build a path."""

from __future__ import annotations

import mimetypes
import unicodedata
from urllib.parse import unquote

MAX_FILENAME_CHARS = 255
FALLBACK_NAME = "upload"


def clean_filename(raw: str | None) -> str:
    """The last path component of ``raw``, without control characters, trimmed to 255 chars.

    ``../../etc/passwd`` becomes ``passwd``, ``C:\\temp\\a.pdf`` becomes ``a.pdf``, NUL and
    other control characters are dropped; a name left empty (or only dots) becomes ``upload``.
    Percent-escapes are decoded first (some clients, aiohttp's among them, send
    ``my%20report.pdf``), so an escaped ``%2F`` or ``%00`` is caught too. The extension is
    kept when the name is shortened, since parsers are chosen by it.
    """
    text = unquote(raw or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not text.strip("."):
        return FALLBACK_NAME
    if len(text) > MAX_FILENAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            text = stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
        else:
            text = text[:MAX_FILENAME_CHARS]
    return text


def guess_mime_type(filename: str, declared: str | None = None) -> str:
    """The type implied by the file name's extension; else what the client declared."""
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if guessed:
        return guessed
    if declared and "/" in declared and declared.isprintable() and len(declared) < 128:
        return declared.split(";", 1)[0].strip().lower()
    return "application/octet-stream"
