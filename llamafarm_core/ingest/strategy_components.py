"""Parsers and extractors of a strategy, built once per processing run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from llamafarm_core.components.base import Component
from llamafarm_core.components.extractor import Extractor
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.parser import Parser
from llamafarm_core.config.models import ComponentRef, DataProcessingStrategy
from llamafarm_core.plugins.registry import Registry, narrow

C = TypeVar("C", bound=Component)


class StrategyComponents:
    """Builds (and keeps) the components a strategy names.

    ``where`` paths in errors point into the config (``rag.data_processing_strategies[0].
    parsers[1].config``). Keys the original accepted but we ignore come back as warnings.
    """

    def __init__(self, registry: Registry, strategy: DataProcessingStrategy, strategy_index: int) -> None:
        self.registry = registry
        self.strategy = strategy
        self.base = f"rag.data_processing_strategies[{strategy_index}]"
        self._built: dict[tuple[PluginKind, int], tuple[Component, list[str]]] = {}

    def parser(self, ref: ComponentRef) -> tuple[Parser, list[str]]:
        return self._build(PluginKind.PARSER, Parser, "parsers", self.strategy.parsers, ref)

    def extractor(self, ref: ComponentRef) -> tuple[Extractor, list[str]]:
        return self._build(PluginKind.EXTRACTOR, Extractor, "extractors", self.strategy.extractors, ref)

    def _build(
        self, kind: PluginKind, base: Callable[..., C], section: str, refs: list[Any], ref: ComponentRef
    ) -> tuple[C, list[str]]:
        index = next(i for i, r in enumerate(refs) if r is ref)
        key = (kind, index)
        where = f"{self.base}.{section}[{index}].config"
        if key not in self._built:
            built = self.registry.validate_config(kind, ref.type, ref.config, where=where)
            cls = self.registry.get(kind, ref.type).cls
            self._built[key] = (cls(built.config), built.warnings)
        component, warnings = self._built[key]
        return narrow(component, base, where), warnings
