"""Values expanded from ``${VAR}`` placeholders, and their redaction.

:mod:`llamafarm_core.config.envsubst` records every non-trivial value it takes from the
environment; :func:`redact` puts the placeholder back wherever such a value appears. Errors
(:class:`llamafarm_core.errors.LlamaFarmError`) redact their message when they are made, the
server redacts every JSON response and the log handlers redact every line, so an expanded
secret never reaches a user or a log, whichever component echoed it (docs/security.md).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

# Shorter values ("1", "cpu", "true") are too common to replace in every text, and too short
# to be keys; numbers are left alone for the same reason.
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_secrets: dict[str, str] = {}  # expanded value -> its placeholder
_ordered: list[tuple[str, str]] = []  # longest first, so a value inside another goes second


def remember(value: str, placeholder: str) -> None:
    """Record that ``value`` came from ``placeholder`` (e.g. ``${OPENAI_API_KEY}``)."""
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH or value.replace(".", "", 1).isdigit():
        return
    with _lock:
        if _secrets.get(value) == placeholder:
            return
        _secrets[value] = placeholder
        _ordered[:] = sorted(_secrets.items(), key=lambda kv: -len(kv[0]))


def redact(text: str) -> str:
    """``text`` with every recorded value replaced by its placeholder."""
    if not _ordered or not text:
        return text
    for value, placeholder in list(_ordered):
        if value in text:
            text = text.replace(value, placeholder)
    return text


def forget_all() -> None:
    """Drop every recorded value (tests)."""
    with _lock:
        _secrets.clear()
        _ordered.clear()


class RedactingFilter(logging.Filter):
    """A handler filter that redacts the formatted message (and any traceback) of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _ordered:
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add the redacting filter to every handler of ``logger`` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# Config keys whose literal values are credentials: shown masked, never echoed back.
SECRET_KEY_NAMES = ("api_key", "apikey", "token", "password", "secret", "authorization")
MASK = "***redacted***"


def _is_secret_key(key: object) -> bool:
    name = str(key).lower().replace("-", "_")
    return any(name == s or name.endswith("_" + s) for s in SECRET_KEY_NAMES)


def mask_config(value: Any) -> Any:
    """A copy of a config dict with literal credentials masked (``${VAR}`` placeholders stay:
    they are names, not values)."""
    if isinstance(value, dict):
        return {
            k: MASK if _is_secret_key(k) and isinstance(v, str) and v and "${" not in v else mask_config(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_config(v) for v in value]
    return value


def unmask_config(new: Any, old: Any) -> Any:
    """``new`` with every masked value put back from ``old`` at the same place, so a config
    read (masked) and written back keeps its credentials."""
    if isinstance(new, dict):
        prev = old if isinstance(old, dict) else {}
        out = {}
        for k, v in new.items():
            if v == MASK and isinstance(prev.get(k), str):
                out[k] = prev[k]
            else:
                out[k] = unmask_config(v, prev.get(k))
        return out
    if isinstance(new, list):
        prev_list = old if isinstance(old, list) else []
        return [unmask_config(v, prev_list[i] if i < len(prev_list) else None) for i, v in enumerate(new)]
    return new
