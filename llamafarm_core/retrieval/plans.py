"""What a query needs from its project's config, built once per version of that config.

Every query resolves a database, builds its retrieval strategy (config validated by the
plugin's model) and makes a handle on the database (whose embedder and model record it
then looks up). All of that depends only on the config, and configs are shared per file
version (:class:`~llamafarm_core.config.cache.ConfigCache`: a changed file is parsed into a
new object, and configs handed out are read-only), so a :class:`Plan` is kept per (config
object, database, strategy) and a new config gets new plans. Strategies keep no state
between calls (everything a call needs is in its request and context), so one plan serves
concurrent queries.

    plan = plans().get(registry, project, database=None, strategy="hybrid_search")
    plan.database, plan.label, plan.strategy, plan.handle
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.retrieval import RetrievalStrategy
from llamafarm_core.config.models import Database, LlamaFarmConfig
from llamafarm_core.databases import (
    DatabaseHandle,
    EmbedderCache,
    default_embedder_cache,
    find_database,
    open_database,
    require_rag,
)
from llamafarm_core.errors import BadRequest
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project

MAX_PLANS = 64
KIND = PluginKind.RETRIEVAL_STRATEGY


@dataclass(frozen=True)
class Plan:
    config: LlamaFarmConfig  # the config it was built from (held, so its id stays unique)
    database: Database
    label: str  # the strategy's configured name, or the type it was asked by
    strategy: RetrievalStrategy
    handle: DatabaseHandle


class Plans:
    """Plans by (config identity, project dir, database, strategy, registry, embedder cache);
    the least recently used beyond ``max_plans`` are dropped. Thread-safe."""

    def __init__(self, max_plans: int = MAX_PLANS) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[object, ...], Plan] = OrderedDict()
        self._max = max_plans

    def get(
        self,
        registry: Registry,
        project: Project,
        database: str | None,
        strategy: str | None,
        embedders: EmbedderCache | None = None,
    ) -> Plan:
        """The plan for ``database``/``strategy`` (None: the defaults) of ``project``; the
        errors of an unknown name (BadRequest) are raised, never kept."""
        embedders = embedders or default_embedder_cache()
        key = (id(project.config), str(project.path), database, strategy, id(registry), id(embedders))
        with self._lock:
            plan = self._items.get(key)
            if plan is not None and plan.config is project.config:
                self._items.move_to_end(key)
                return plan
        db = find_database(project, database)
        label, built = build_strategy(registry, project, db, strategy)
        handle = open_database(registry, project, db.name, embedders=embedders)
        plan = Plan(project.config, db, label, built, handle)
        with self._lock:
            self._items[key] = plan
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return plan


def build_strategy(
    registry: Registry, project: Project, db: Database, name: str | None
) -> tuple[str, RetrievalStrategy]:
    """(label, strategy) for a configured strategy name or a registered type (module doc)."""
    rag = require_rag(project)
    base = f"rag.databases[{rag.databases.index(db)}]"
    ref = db.retrieval_strategy(name)
    if ref is not None:
        j = db.retrieval_strategies.index(ref)
        where = f"{base}.retrieval_strategies[{j}].config"
        built = registry.build_as(KIND, RetrievalStrategy, ref.type, ref.config, where=where)
        label = ref.name
    elif name is None:
        built = registry.build_as(KIND, RetrievalStrategy, "basic", {}, where="retrieval_strategy")
        label = "basic"
    elif name in registry.known_names(KIND):
        built = registry.build_as(KIND, RetrievalStrategy, name, {}, where="retrieval_strategy")
        label = name
    else:
        configured = ", ".join(r.name for r in db.retrieval_strategies) or "(none)"
        types = ", ".join(sorted({p.name for p in registry.plugins(KIND)}))
        raise BadRequest(
            f"unknown retrieval_strategy {name!r} for database {db.name!r}; "
            f"configured strategies: {configured}; strategy types: {types}"
        )
    return label, built


@cache
def plans() -> Plans:
    """The process-wide plans (created on first use)."""
    return Plans()
