"""Parsers and extractors of a strategy, built once per processing run."""

from __future__ import annotations

from typing import Any

from llamafarm_core.components.base import Component
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import ComponentRef, DataProcessingStrategy
from llamafarm_core.plugins.registry import Registry


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

    def parser(self, ref: ComponentRef) -> tuple[Component, list[str]]:
        return self._build(PluginKind.PARSER, "parsers", self.strategy.parsers, ref)

    def extractor(self, ref: ComponentRef) -> tuple[Component, list[str]]:
        return self._build(PluginKind.EXTRACTOR, "extractors", self.strategy.extractors, ref)

    def _build(
        self, kind: PluginKind, section: str, refs: list[Any], ref: ComponentRef
    ) -> tuple[Component, list[str]]:
        index = next(i for i, r in enumerate(refs) if r is ref)
        key = (kind, index)
        if key not in self._built:
            where = f"{self.base}.{section}[{index}].config"
            built = self.registry.validate_config(kind, ref.type, ref.config, where=where)
            cls = self.registry.get(kind, ref.type).cls
            self._built[key] = (cls(built.config), built.warnings)
        return self._built[key]
