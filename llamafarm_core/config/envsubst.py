"""``${VAR}`` and ``${VAR:-default}`` expansion, applied when a value is used, never when stored.

Configs are kept with their placeholders so a secret from the environment never lands in a
file or an API response; components call :func:`expand` on the values they are built from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from llamafarm_core.secrets import remember

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_str(value: str, env: Mapping[str, str] | None = None) -> str:
    """Replace each placeholder; an unset variable without a default becomes ''."""
    source = os.environ if env is None else env

    def sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = source.get(name)
        if found is None or (found == "" and default is not None):
            return default or ""
        remember(found, f"${{{name}}}")  # so errors, responses and logs can redact it
        return found

    return _VAR.sub(sub, value)


def expand(value: Any, env: Mapping[str, str] | None = None) -> Any:
    """Expand placeholders in every string of a nested structure (dicts, lists, scalars).

    A string that is exactly one placeholder and expands to an integer or float literal
    becomes that number, so ``port: ${CHROMA_PORT:-8000}`` validates as an int.
    """
    if isinstance(value, str):
        if "${" not in value:
            return value
        out = expand_str(value, env)
        if _VAR.fullmatch(value.strip()):
            for cast in (int, float):
                try:
                    return cast(out)
                except ValueError:
                    pass
        return out
    if isinstance(value, Mapping):
        return {k: expand(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, env) for v in value]
    return value
