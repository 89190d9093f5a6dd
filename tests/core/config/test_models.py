"""The llamafarm.yaml schema: the original's files load and round-trip; errors name the path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llamafarm_core.config.loader import config_to_dict, dump_config, parse_config
from llamafarm_core.errors import ValidationFailed
from tests.conftest import COMPAT_CONFIGS

BASE = {
    "version": "v1",
    "name": "p1",
    "namespace": "ns",
    "runtime": {"provider": "ollama", "model": "llama3.2:3b"},
}


def with_(**changes: object) -> dict:
    return {**BASE, **changes}


@pytest.mark.parametrize("path", COMPAT_CONFIGS, ids=lambda p: p.name)
def test_compat_configs_load_and_round_trip_without_losing_keys(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    config = parse_config(raw)
    assert config_to_dict(config) == raw
    assert yaml.safe_load(dump_config(config)) == raw


def test_there_are_compat_configs_to_check() -> None:
    assert len(COMPAT_CONFIGS) >= 3


def test_flat_runtime_means_one_default_model() -> None:
    config = parse_config(BASE)
    [model] = config.runtime.resolved_models()
    assert (model.provider, model.model) == ("ollama", "llama3.2:3b")
    assert config.runtime.default() == model


def test_default_model_choice_order() -> None:
    models = [
        {"name": "a", "provider": "ollama", "model": "x"},
        {"name": "b", "provider": "ollama", "model": "y", "default": True},
        {"name": "c", "provider": "ollama", "model": "z"},
    ]
    assert parse_config(with_(runtime={"models": models})).runtime.default().name == "b"
    assert parse_config(with_(runtime={"models": models, "default_model": "c"})).runtime.default().name == "c"
    first = [dict(m, default=None) for m in models]
    assert parse_config(with_(runtime={"models": first})).runtime.default().name == "a"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"rag": {"databases": [{"name": "Bad-Name", "type": "ChromaStore"}]}},
            "rag.databases[0].name: must match ^[a-z][a-z0-9_]*$",
        ),
        (
            {"runtime": {"models": []}},
            "runtime: give runtime.models[] or the flat runtime.provider + runtime.model",
        ),
        (
            {"runtime": {"models": [{"name": "a", "provider": "ollama"}]}},
            "runtime.models[0].model: Field required",
        ),
        ({"runtime": {"provider": "ollama", "model": "m", "default_model": "zzz"}}, "default_model 'zzz'"),
        ({"version": "v2"}, "version: Input should be 'v1'"),
        (
            {"prompts": [{"name": "x", "messages": [{"role": "system"}]}]},
            "prompts[0].messages[0].content: Field required",
        ),
        (
            {"datasets": [{"name": "d", "database": "nope"}]},
            "dataset 'd': database 'nope' is not one of: (none)",
        ),
        (
            {"rag": {"databases": [{"name": "db", "type": "ChromaStore", "colour": 1}]}},
            "rag.databases[0].colour: unknown key",
        ),
        ({"datasets": [{"name": "../x"}]}, "datasets[0].name: must match"),
    ],
)
def test_validation_errors_name_the_bad_path(changes: dict, message: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_config(with_(**changes))
    assert message in err.value.message


def test_non_mapping_config_is_rejected() -> None:
    with pytest.raises(ValidationFailed, match="must be a mapping"):
        parse_config(["not", "a", "mapping"])


def test_unknown_top_level_sections_are_kept() -> None:
    raw = with_(components={"custom": [1, 2]})
    assert config_to_dict(parse_config(raw))["components"] == {"custom": [1, 2]}


def test_placeholders_are_stored_unexpanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "sk-real-secret")
    raw = with_(
        runtime={"models": [{"name": "a", "provider": "openai", "model": "gpt", "api_key": "${SECRET_KEY}"}]}
    )
    dumped = dump_config(parse_config(raw))
    assert "${SECRET_KEY}" in dumped
    assert "sk-real-secret" not in dumped


def test_prompt_sets_by_name_or_all_in_file_order() -> None:
    config = parse_config(
        with_(
            prompts=[
                {"name": "one", "messages": [{"role": "system", "content": "A"}]},
                {"name": "two", "messages": [{"role": "system", "content": "B"}]},
            ]
        )
    )
    assert [m.content for m in config.prompt_messages()] == ["A", "B"]
    assert [m.content for m in config.prompt_messages(["two"])] == ["B"]
