"""The registry: component classes by kind and name (or alias), built once at start-up."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import pluggy
from pydantic import ValidationError

from llamafarm_core import egress
from llamafarm_core.components.base import Component, PluginConfig, declared_config
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.envsubst import expand
from llamafarm_core.config.loader import describe_validation_error
from llamafarm_core.errors import PluginError

C = TypeVar("C", bound=Component)


@dataclass(frozen=True)
class PluginInfo:
    kind: PluginKind
    name: str
    aliases: tuple[str, ...]
    cls: type[Component]
    package: str

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "aliases": list(self.aliases),
            "package": self.package,
            "description": self.cls.description or (self.cls.__doc__ or "").strip().split("\n")[0],
            "config_schema": self.cls.config_schema(),
        }


@dataclass
class BuiltConfig:
    """A validated plugin config and the warnings about keys that were accepted but ignored."""

    config: PluginConfig
    warnings: list[str]


class Registry:
    """Look-up of component classes. Names and aliases share one namespace per kind."""

    def __init__(self, plugins: list[PluginInfo]) -> None:
        self._by_key: dict[tuple[PluginKind, str], PluginInfo] = {}
        self._plugins = plugins
        for info in plugins:
            for key in (info.name, *info.aliases):
                other = self._by_key.get((info.kind, key))
                if other is not None:
                    raise PluginError(
                        f"duplicate {info.kind.value} name {key!r}: given by {other.package} "
                        f"({other.cls.__qualname__}) and {info.package} ({info.cls.__qualname__})"
                    )
                self._by_key[(info.kind, key)] = info

    def plugins(self, kind: PluginKind | None = None) -> list[PluginInfo]:
        return [p for p in self._plugins if kind is None or p.kind == kind]

    def known_names(self, kind: PluginKind) -> list[str]:
        return sorted(name for (k, name) in self._by_key if k == kind)

    def get(self, kind: PluginKind, type_name: str, *, where: str = "type") -> PluginInfo:
        info = self._by_key.get((kind, type_name))
        if info is None:
            known = ", ".join(
                f"{name} ({self._by_key[(kind, name)].package})" for name in self.known_names(kind)
            )
            raise PluginError(
                f"{where}: unknown {kind.value} type {type_name!r}; known types: {known or '(none)'}"
            )
        return info

    def validate_config(
        self,
        kind: PluginKind,
        type_name: str,
        raw: Mapping[str, Any] | None,
        *,
        where: str = "config",
        type_where: str | None = None,
    ) -> BuiltConfig:
        """Check ``raw`` (placeholders expanded) against the plugin's config model.

        ``where``/``type_where`` are the config paths used in error messages.
        """
        info = self.get(
            kind,
            type_name,
            where=type_where or (f"{where.rsplit('.', 1)[0]}.type" if "." in where else "type"),
        )
        data = dict(expand(dict(raw or {})))
        warnings = []
        for key in sorted(set(data) & info.cls.ignored_keys):
            del data[key]
            warnings.append(f"{where}.{key}: accepted for compatibility, ignored by {info.name}")
        try:
            config = info.cls.Config.model_validate(data)
        except ValidationError as err:
            raise PluginError(describe_validation_error(err, where)) from None
        return BuiltConfig(config, warnings)

    def build(
        self,
        kind: PluginKind,
        type_name: str,
        raw: Mapping[str, Any] | None,
        *,
        where: str = "config",
        **context: Any,
    ) -> Component:
        """Instantiate a component from its YAML ``type`` and ``config``."""
        built = self.validate_config(kind, type_name, raw, where=where)
        component = self.get(kind, type_name).cls(built.config, **context)
        egress.check_component(component, where)
        return component

    def build_as(
        self,
        kind: PluginKind,
        base: Callable[..., C],
        type_name: str,
        raw: Mapping[str, Any] | None,
        *,
        where: str = "config",
        **context: Any,
    ) -> C:
        """:meth:`build`, typed as ``base`` (the kind's base class or a narrower one)."""
        return narrow(self.build(kind, type_name, raw, where=where, **context), base, where)


def narrow(component: Component, base: Callable[..., C], where: str) -> C:
    """``component`` as a ``base`` (a component class), or a :class:`PluginError` naming
    ``where`` and both classes. ``base`` is typed as a callable because mypy refuses abstract
    classes (all the kinds' bases) where a ``type[C]`` is expected."""
    cls = cast(type, base)
    if not isinstance(component, cls):
        raise PluginError(f"{where}: built a {type(component).__qualname__}, not a {cls.__name__}")
    return cast(C, component)


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every ``register_*`` hook and index what they return.

    Each class must be a concrete subclass of its kind's base class (:func:`check_component`);
    a duplicate name or alias within a kind is an error that names both packages.
    """
    dists = {id(plugin): dist.project_name for plugin, dist in pm.list_plugin_distinfo()}
    found: list[PluginInfo] = []
    for kind in PluginKind:
        hook = getattr(pm.hook, kind.hook_name)
        for impl in hook.get_hookimpls():
            package = dists.get(id(impl.plugin), pm.get_name(impl.plugin) or "?")
            for cls in impl.function() or []:
                component = check_component(kind, cls, package)
                found.append(PluginInfo(kind, component.name, tuple(component.aliases), component, package))
    return Registry(found)


def check_component(kind: PluginKind, cls: object, package: str) -> type[Component]:
    """``cls`` as a component class of ``kind``, or a :class:`PluginError` naming ``package``
    and what is wrong: not a subclass of the kind's base class, abstract methods left
    unimplemented, no ``name``, or a ``Config`` that is not a config model of the kind."""
    base = kind.base_class
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginError(f"{package}: {kind.hook_name} returned {cls!r}, not a {base.__name__}")
    where = f"{package}: {kind.value} {cls.__module__}.{cls.__qualname__}"
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
        raise PluginError(f"{where} does not implement the abstract method(s) {missing}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise PluginError(f"{where} has no 'name' (its YAML type)")
    if not all(isinstance(a, str) and a for a in cls.aliases):
        raise PluginError(f"{where}: 'aliases' must be a tuple of non-empty strings")
    config = cls.Config
    if not (isinstance(config, type) and issubclass(config, base.Config)):
        raise PluginError(f"{where}: Config {config!r} is not a subclass of {base.Config.__name__}")
    declared = declared_config(cls)
    if declared is not None and not issubclass(config, declared):
        raise PluginError(
            f"{where}: Config {config.__name__} is not the generic parameter {declared.__name__}"
        )
    return cls
