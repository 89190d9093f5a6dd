"""Reading, validating and writing ``llamafarm.yaml``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from llamafarm_core.config.models import LlamaFarmConfig
from llamafarm_core.errors import ValidationFailed
from llamafarm_core.fsutil import atomic_write_text

M = TypeVar("M", bound=BaseModel)


def format_loc(loc: Sequence[int | str]) -> str:
    """``('rag', 'databases', 0, 'name')`` → ``rag.databases[0].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def describe_validation_error(err: ValidationError, prefix: str = "") -> str:
    """One line per problem, each starting with the path of the bad key."""
    lines = []
    for e in err.errors():
        # Drop pydantic's union/validator tags (e.g. 'function-after[...]') from the path.
        loc = [p for p in e["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
        path = format_loc(loc)
        if prefix:
            path = f"{prefix}.{path}" if path != "(root)" else prefix
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "string_pattern_mismatch":
            msg = f"must match {e['ctx']['pattern']}"
        elif e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{path}: {msg}")
    return "; ".join(lines)


def parse_model(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate ``data`` into ``model``; a failure is a ValidationFailed naming each bad path."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ValidationFailed(describe_validation_error(err, prefix)) from None


def parse_config(data: Any) -> LlamaFarmConfig:
    if not isinstance(data, dict):
        raise ValidationFailed("config: must be a mapping (a YAML/JSON object)")
    return parse_model(LlamaFarmConfig, data)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return model_to_dict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def model_to_dict(model: BaseModel) -> dict[str, Any]:
    """Plain data with the keys the user gave, plus any field changed from its default
    (also by in-place mutation, e.g. appending to a list that was not in the file)."""
    out: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if name not in model.model_fields_set:
            default = field.get_default(call_default_factory=True)
            if value == default:
                continue
        out[field.alias or name] = _plain(value)
    for name, value in (model.model_extra or {}).items():
        out[name] = _plain(value)
    return out


def config_to_dict(config: LlamaFarmConfig) -> dict[str, Any]:
    """The config as plain JSON-able data, with exactly the keys the user gave (plus changes)."""
    data: dict[str, Any] = json.loads(json.dumps(model_to_dict(config), default=str))
    return data


# libyaml's parser and emitter when PyYAML has them: same safe semantics and output, ~7x
# faster on configs that list thousands of dataset files (read and written on every upload).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_config(config: LlamaFarmConfig) -> str:
    return yaml.dump(config_to_dict(config), Dumper=_SAFE_DUMPER, sort_keys=False, allow_unicode=True)


def load_yaml_text(text: str, source: str = "llamafarm.yaml") -> Any:
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as err:
        raise ValidationFailed(f"{source}: not valid YAML: {err}") from None


def load_config_file(path: Path) -> LlamaFarmConfig:
    return parse_config(load_yaml_text(path.read_text(encoding="utf-8"), str(path)))


def write_config_file(path: Path, config: LlamaFarmConfig) -> None:
    atomic_write_text(path, dump_config(config))
