"""Configs for chat tests."""

from __future__ import annotations

from typing import Any

EMBEDDED = {"name": "local", "provider": "llamacpp", "model": "gemma3-270m", "default": True}


def chat_config(**overrides: Any) -> dict[str, Any]:
    """A config with the embedded model and one prompt set; keys in ``overrides`` replace."""
    config: dict[str, Any] = {
        "version": "v1",
        "runtime": {"models": [dict(EMBEDDED, model_api_parameters={"temperature": 0.0, "max_tokens": 8})]},
        "prompts": [{"name": "default", "messages": [{"role": "system", "content": "You answer briefly."}]}],
    }
    config.update(overrides)
    return config
