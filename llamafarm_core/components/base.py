"""What every plugin component has: a YAML ``type:`` name, aliases, and a pydantic config."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class PluginConfig(BaseModel):
    """Base of every plugin's config model. Unknown keys are an error (a typo is never silent)."""

    model_config = ConfigDict(extra="forbid")


class Component:
    """A plugin component.

    Subclasses set ``name`` (their YAML ``type:``), optionally ``aliases`` (e.g. the original
    LlamaFarm's type names), ``Config`` (a :class:`PluginConfig` subclass) and
    ``ignored_keys``: keys the original accepted that this component doesn't use; they are
    accepted, dropped and reported as a warning instead of failing validation.

    Constructors must be cheap: load models and open clients lazily, on first use.
    """

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    ignored_keys: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: PluginConfig, **context: Any) -> None:
        self.config = config
        self.context = context

    def egress_targets(self) -> list[str]:
        """The URLs or ``host[:port]`` this component will connect to (none by default);
        the core checks them against the egress policy (``llamafarm_core.egress``)."""
        return []

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return cls.Config.model_json_schema()
