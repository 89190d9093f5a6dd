"""Validation of names that become path components (namespaces, projects, datasets, ids)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from llamafarm_core.errors import BadRequest

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_NAME_RE = re.compile(NAME_PATTERN)
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def check_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is a safe single path component, else raise BadRequest.

    ASCII letters, digits, ``_`` and ``-``, starting with a letter or digit, 1–64 characters:
    this excludes ``..``, slashes, spaces, control characters and anything non-ASCII.
    """
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        shown = (
            value if isinstance(value, str) and value.isprintable() and len(value) <= 80 else repr(value)[:80]
        )
        raise BadRequest(f"invalid {what} {shown!r}: must match {NAME_PATTERN}")
    return value


def check_file_hash(value: str) -> str:
    """A sha256 hex digest (lower case), as files are stored."""
    if not _HASH_RE.fullmatch(value or ""):
        raise BadRequest(f"invalid file hash {value[:80]!r}: expected 64 lower-case hex characters (sha256)")
    return value


def check_unique(names: Sequence[str], label: str) -> None:
    """ValueError (a config validator's error) naming every name given more than once."""
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate {label} names: {', '.join(dupes)}")
