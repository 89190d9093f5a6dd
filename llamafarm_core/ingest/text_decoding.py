"""Turning uploaded bytes into text: BOMs, a configured encoding, UTF-8, then cp1252/latin-1.

Text that isn't UTF-8 is decoded with a fallback and a warning, never refused. Bytes that
aren't text at all (NUL bytes, many control characters) are refused with ParseFailed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from llamafarm_core.errors import ParseFailed

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAMPLE = 65536
# C0 controls other than whitespace, DEL and the C1 range (what latin-1 makes of junk bytes).
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")
MAX_CONTROL_RATIO = 0.05


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def canonical_encoding(name: str) -> str:
    """The codec's canonical name; ``ValueError`` when Python has no such codec."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown encoding {name!r}") from None


def decode_text(data: bytes, encoding: str | None = None, *, what: str = "file") -> DecodedText:
    """Decode ``data``; ``what`` names the file in messages.

    Order: a byte-order mark; ``encoding`` when given; UTF-8; cp1252; latin-1 (never fails).
    Raises ParseFailed when the bytes look binary.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(codec), codec)
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:_SAMPLE]:
        raise ParseFailed(f"{what} looks like a binary file, not text (it contains NUL bytes)")
    warnings: list[str] = []
    tried: list[str] = []
    if encoding:
        try:
            return _checked(data.decode(encoding), encoding, warnings, what)
        except UnicodeDecodeError:
            warnings.append(f"{what} is not valid {encoding}; decoding it another way")
            tried.append(canonical_encoding(encoding))
    if "utf-8" not in tried:
        try:
            return _checked(data.decode("utf-8"), "utf-8", warnings, what)
        except UnicodeDecodeError:
            pass
        mostly = _mostly_utf8(data)
        if mostly is not None:
            text, bad = mostly
            warnings.append(
                f"{what} has {bad} invalid UTF-8 byte sequence(s); they were replaced with \ufffd"
            )
            return _checked(text, "utf-8", warnings, what)
    for fallback in ("cp1252", "latin-1"):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        warnings.append(f"{what} is not valid UTF-8; decoded as {fallback} (some characters may be wrong)")
        return _checked(text, fallback, warnings, what)
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 with a few bad bytes (more valid non-ASCII characters than bad sequences) decodes
    as UTF-8 with replacements; a cp1252 file has almost no valid multi-byte sequences."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    return (text, bad) if valid > bad else None


def _checked(text: str, encoding: str, warnings: list[str], what: str) -> DecodedText:
    sample = text[:_SAMPLE]
    if sample and len(_CONTROL.findall(sample)) / len(sample) > MAX_CONTROL_RATIO:
        raise ParseFailed(f"{what} looks like a binary file, not text (too many control characters)")
    return DecodedText(text, encoding, warnings)
