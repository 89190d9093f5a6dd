"""Choosing the model of a turn."""

from __future__ import annotations

import pytest

from llamafarm_core.config.models import LlamaFarmConfig
from llamafarm_core.errors import BadRequest
from llamafarm_core.llm.models import select_model


def _config(runtime: dict) -> LlamaFarmConfig:
    return LlamaFarmConfig.model_validate({"name": "p", "namespace": "n", "runtime": runtime})


MODELS = [
    {"name": "fast", "provider": "ollama", "model": "gemma2:2b"},
    {"name": "smart", "provider": "ollama", "model": "llama3.1:8b", "default": True},
    {"name": "local", "provider": "llamacpp", "model": "gemma3-270m"},
]


def test_by_name() -> None:
    assert select_model(_config({"models": MODELS}), "local").name == "local"


def test_default_model_then_default_flag_then_first() -> None:
    assert select_model(_config({"models": MODELS, "default_model": "fast"})).name == "fast"
    assert select_model(_config({"models": MODELS})).name == "smart"
    no_flag = [dict(m, default=None) for m in MODELS]
    assert select_model(_config({"models": no_flag})).name == "fast"


def test_a_unique_model_id_also_selects() -> None:
    assert select_model(_config({"models": MODELS}), "llama3.1:8b").name == "smart"


def test_unknown_model_is_a_400_listing_the_configured_ones() -> None:
    with pytest.raises(BadRequest) as err:
        select_model(_config({"models": MODELS}), "gpt-9")
    assert err.value.status == 400
    assert "fast, smart, local" in err.value.message


def test_flat_runtime_is_one_model() -> None:
    config = _config({"provider": "ollama", "model": "llama3.2:3b"})
    assert select_model(config).model == "llama3.2:3b"
    assert select_model(config, "llama3.2:3b").provider == "ollama"
