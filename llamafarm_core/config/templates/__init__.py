"""Project templates: the built-in ``server`` and ``rag``, plus ``$LF_DATA_DIR/templates/<name>.yaml``."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from llamafarm_core.config.loader import load_yaml_text
from llamafarm_core.errors import BadRequest, ValidationFailed
from llamafarm_core.names import NAME_PATTERN

BUILTIN = ("server", "rag")
DEFAULT_TEMPLATE = "server"


def available(templates_dir: Path) -> list[str]:
    custom = sorted(p.stem for p in templates_dir.glob("*.yaml")) if templates_dir.is_dir() else []
    return list(BUILTIN) + [n for n in custom if n not in BUILTIN]


def render(template: str, *, name: str, namespace: str, templates_dir: Path) -> dict[str, Any]:
    """The template's config as data, with ``name`` and ``namespace`` set."""
    if template in BUILTIN:
        text = resources.files(__package__).joinpath(f"{template}.yaml").read_text(encoding="utf-8")
    elif re.fullmatch(NAME_PATTERN, template) and (templates_dir / f"{template}.yaml").is_file():
        text = (templates_dir / f"{template}.yaml").read_text(encoding="utf-8")
    else:
        raise BadRequest(
            f"unknown config_template {template!r}; known templates: {', '.join(available(templates_dir))}"
        )
    data = load_yaml_text(text, f"template {template}")
    if not isinstance(data, dict):
        raise ValidationFailed(f"template {template}: must be a mapping")
    data["name"] = name
    data["namespace"] = namespace
    data.setdefault("version", "v1")
    return data
