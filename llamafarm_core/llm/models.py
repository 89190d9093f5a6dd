"""Choosing a configured model and building its provider."""

from __future__ import annotations

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.provider import ModelProvider
from llamafarm_core.config.models import LlamaFarmConfig, RuntimeModel
from llamafarm_core.errors import BadRequest
from llamafarm_core.plugins.registry import Registry


def select_model(config: LlamaFarmConfig, name: str | None = None) -> RuntimeModel:
    """The model called ``name``; without a name ``default_model``, the ``default: true``
    one, or the first. A name that matches no model's ``name`` may match exactly one
    model's ``model`` (e.g. ``llama3.1:8b``). Anything else is a 400 listing the names."""
    models = config.runtime.resolved_models()
    if not name:
        return config.runtime.default()
    by_name = next((m for m in models if m.name == name), None)
    if by_name is not None:
        return by_name
    by_id = [m for m in models if m.model == name]
    if len(by_id) == 1:
        return by_id[0]
    known = ", ".join(m.name for m in models)
    raise BadRequest(f"unknown model {name!r}; configured models: {known}")


def model_where(config: LlamaFarmConfig, model: RuntimeModel) -> str:
    """The config path of ``model`` for error messages."""
    if not config.runtime.models:
        return "runtime"
    index = next(i for i, m in enumerate(config.runtime.models) if m.name == model.name)
    return f"runtime.models[{index}]"


def build_provider(registry: Registry, config: LlamaFarmConfig, model: RuntimeModel) -> ModelProvider:
    """Instantiate the provider plugin of ``model`` (cheap: clients and models load lazily)."""
    where = model_where(config, model)
    return registry.build_as(
        PluginKind.MODEL_PROVIDER,
        ModelProvider,
        model.provider,
        model.provider_config or {},
        where=f"{where}.provider_config",
        model=model,
    )
