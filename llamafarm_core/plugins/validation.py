"""Phase two of config validation: every ``type:`` against the plugin registry."""

from __future__ import annotations

from collections.abc import Iterator

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import LlamaFarmConfig
from llamafarm_core.errors import PluginError, ValidationFailed
from llamafarm_core.plugins.registry import Registry


def _components(config: LlamaFarmConfig) -> Iterator[tuple[PluginKind, str, dict, str, str | None]]:
    """(kind, type, config, config path, type path) for every component the config names."""
    for i, m in enumerate(config.runtime.resolved_models()):
        where = f"runtime.models[{i}]" if config.runtime.models else "runtime"
        yield (
            PluginKind.MODEL_PROVIDER,
            m.provider,
            m.provider_config or {},
            f"{where}.provider_config",
            f"{where}.provider",
        )
    if not config.rag:
        return
    for i, db in enumerate(config.rag.databases):
        base = f"rag.databases[{i}]"
        yield PluginKind.VECTOR_STORE, db.type, db.config, f"{base}.config", None
        for j, e in enumerate(db.embedding_strategies):
            yield PluginKind.EMBEDDER, e.type, e.config, f"{base}.embedding_strategies[{j}].config", None
        for j, r in enumerate(db.retrieval_strategies):
            yield (
                PluginKind.RETRIEVAL_STRATEGY,
                r.type,
                r.config,
                f"{base}.retrieval_strategies[{j}].config",
                None,
            )
    for i, s in enumerate(config.rag.data_processing_strategies):
        base = f"rag.data_processing_strategies[{i}]"
        for j, p in enumerate(s.parsers):
            yield PluginKind.PARSER, p.type, p.config, f"{base}.parsers[{j}].config", None
        for j, x in enumerate(s.extractors):
            yield PluginKind.EXTRACTOR, x.type, x.config, f"{base}.extractors[{j}].config", None


def validate_components(config: LlamaFarmConfig, registry: Registry) -> list[str]:
    """Check each component's type and config; return warnings (ignored compatibility keys).

    Raises ValidationFailed naming every bad path at once.
    """
    problems: list[str] = []
    warnings: list[str] = []
    for kind, type_name, raw, where, type_where in _components(config):
        try:
            built = registry.validate_config(kind, type_name, raw, where=where, type_where=type_where)
            warnings.extend(built.warnings)
        except PluginError as err:
            problems.append(err.message)
    if problems:
        raise ValidationFailed("; ".join(problems))
    return warnings
