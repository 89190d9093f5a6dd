"""What every plugin component has: a YAML ``type:`` name, aliases, and a pydantic config."""

from __future__ import annotations

from abc import ABC
from typing import Any, ClassVar, Generic, get_args, get_origin

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar


class PluginConfig(BaseModel):
    """Base of every plugin's config model. Unknown keys are an error (a typo is never silent)."""

    model_config = ConfigDict(extra="forbid")


ConfigT = TypeVar("ConfigT", bound=PluginConfig, default=PluginConfig, covariant=True)


class Component(ABC, Generic[ConfigT]):
    """A plugin component, generic in its config model.

    Subclasses set ``name`` (their YAML ``type:``), optionally ``aliases`` (e.g. the original
    LlamaFarm's type names), ``description`` and ``ignored_keys``: keys the original accepted
    that this component doesn't use; they are accepted, dropped and reported as a warning
    instead of failing validation.

    The config model is the generic parameter: ``class MyParser(Parser[MyConfig])`` validates
    the YAML ``config:`` with ``MyConfig`` and types ``self.config`` as ``MyConfig``
    (``Config`` is set from it; a generic intermediate class sets ``Config`` itself). Abstract
    methods hold: a class that leaves one unimplemented can't be instantiated or registered.

    Constructors must be cheap: load models and open clients lazily, on first use.
    """

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    ignored_keys: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = declared_config(cls)
        if declared is not None and "Config" not in cls.__dict__:
            cls.Config = declared

    def __init__(self, config: ConfigT, **context: Any) -> None:
        self.config: ConfigT = config
        self.context = context

    def egress_targets(self) -> list[str]:
        """The URLs or ``host[:port]`` this component will connect to (none by default);
        the core checks them against the egress policy (``llamafarm_core.egress``)."""
        return []

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return cls.Config.model_json_schema()


def declared_config(cls: type) -> type[PluginConfig] | None:
    """The config model ``cls`` gives as its generic parameter (``Parser[CsvConfig]``), if any."""
    for base in cls.__dict__.get("__orig_bases__", ()):
        origin = get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Component):
            for arg in get_args(base):
                if isinstance(arg, type) and issubclass(arg, PluginConfig):
                    return arg
    return None
