"""What a retrieval strategy works with: one database of one project, for one query."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.components.retrieval import RetrievalStrategy
from llamafarm_core.components.store import VectorStore
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.retrieval.exact import kept_vectors
from llamafarm_core.retrieval.scoring import canonical_metric, metric_score, ranked, with_score
from llamafarm_core.vectors import FilterCondition, ScoredId, SearchHit

if TYPE_CHECKING:
    from llamafarm_core.databases import DatabaseHandle

# generate(prompt, max_tokens) -> text, with the project's default model.
Generate = Callable[[str, int], str]

NEAREST_FIRST = 8  # × top_k: the nearest chunks checked against filters first ...
NEAREST_LEAST = 64  # ... at least
NEAREST_MAX = 1024  # nearest chunks checked at most; then the store filters itself


class RetrievalContext:
    """The database a strategy searches, for the duration of one query.

    - :meth:`vector_search` and :meth:`lexical_search` take the query text (or a vector) and
      metadata ``filters``; both return :class:`SearchHit` with scores in [0, 1] and the
      chunk's full metadata, under the same chunk ids.
    - :meth:`rescore` recomputes vector scores under another distance metric.
    - ``generate`` is ``generate(prompt, max_tokens) -> str`` with the project's default
      model, or None when there is no usable model (strategies then fall back and
      :meth:`warn`).
    - :meth:`build` makes a nested strategy from ``{type, config}`` through the registry.

    The store is opened (under the database's shared lock) on first use and kept open until
    :meth:`close`, so one query opens it once however many searches it makes.

    Hits' texts and metadata come from the database's lexical index when it sits beside a
    local store (:meth:`fetch`): every write block updates both under the same lock, and a
    store query for ids alone plus this SQLite read is cheaper than the store reading them
    (embedded Chroma, Cranfield, top_k 5, in process: 2.7-3.0 ms with texts, 2.05-2.08 ms
    for ids and then the 5 from the lexical index (0.27 ms), 3.5-3.8 ms from Chroma).
    """

    def __init__(
        self,
        handle: DatabaseHandle,
        registry: Registry,
        *,
        generate: Generate | None = None,
        generate_factory: Callable[[], Generate | None] | None = None,
    ) -> None:
        self.handle = handle
        self.registry = registry
        self.database = handle.name
        self._generate = generate
        self._generate_factory = None if generate is not None else generate_factory
        self.warnings: list[str] = []
        self._stack = ExitStack()
        self._store: VectorStore | None = None
        self._lexical_texts: bool | None = None  # see _texts_from_lexical
        self._vectors: dict[str, list[float]] = {}

    # -- the pieces --------------------------------------------------------------------------

    @property
    def generate(self) -> Generate | None:
        """The text generator (built on first use when given as a factory)."""
        factory, self._generate_factory = self._generate_factory, None
        if factory is not None:
            try:
                self._generate = factory()
            except Exception as err:  # no model configured or not loadable: strategies degrade
                self.warn(f"no language model for query expansion: {err}")
        return self._generate

    def store(self) -> VectorStore:
        if self._store is None:
            self._store = self._stack.enter_context(self.handle.reading())
        return self._store

    @property
    def store_metric(self) -> str:
        """The metric the store ranks by (from its ``distance_function``/``distance``)."""
        config = self.handle.database.config
        raw = config.get("distance_function") or config.get("distance") or "cosine"
        try:
            return canonical_metric(str(raw).lower()) or "cosine"
        except Exception:
            return "cosine"

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def close(self) -> None:
        self._stack.close()
        self._store = None
        self._lexical_texts = None

    # -- searching ---------------------------------------------------------------------------

    def embed_query(self, text: str) -> list[float]:
        """The query's vector (computed once per text per query)."""
        if text not in self._vectors:
            self._vectors[text] = self.handle.embed_query(text)
        return self._vectors[text]

    def vector_search(
        self, query: str | Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[SearchHit]:
        """Nearest chunks by the store's metric, best first."""
        if top_k <= 0:
            return []
        vector = self.embed_query(query) if isinstance(query, str) else list(query)
        store = self.store()
        if not self._texts_from_lexical(store):
            return store.search(vector, top_k, list(filters))
        # Ids and scores from the store, texts and metadata from the lexical index (class
        # doc): the same hits, ~0.8 ms sooner on embedded Chroma at top_k 5.
        scored = self._search_ids(store, vector, top_k, filters)
        stored = self.fetch([s.id for s in scored])
        return [
            SearchHit(id=s.id, text=stored[s.id].text, score=s.score, metadata=stored[s.id].metadata)
            for s in scored
            if s.id in stored
        ]

    def vector_candidates(
        self, query: str | Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[ScoredId]:
        """Like :meth:`vector_search` without texts and metadata (cheaper for many
        candidates); :meth:`fetch` the few that are kept."""
        if top_k <= 0:
            return []
        vector = self.embed_query(query) if isinstance(query, str) else list(query)
        return self._search_ids(self.store(), vector, top_k, filters)

    def _search_ids(
        self, store: VectorStore, vector: list[float], top_k: int, filters: Sequence[FilterCondition]
    ) -> list[ScoredId]:
        """The store's nearest ids matching ``filters``; beside the lexical index, without
        the store's filtered query where it can (:meth:`_filtered_beside_lexical`)."""
        if filters and self._texts_from_lexical(store):
            kept = self._filtered_beside_lexical(store, vector, top_k, filters)
            if kept is not None:
                return kept
        return store.search_ids(vector, top_k, list(filters))

    def _filtered_beside_lexical(
        self, store: VectorStore, vector: list[float], top_k: int, filters: Sequence[FilterCondition]
    ) -> list[ScoredId] | None:
        """Filtered nearest ids without the store's filtered query, or None (it runs):

        - a filter that keeps few chunks, remembered by the lexical index
          (``lexical.filter_sets``): an exact search among their vectors
          (:mod:`llamafarm_core.retrieval.exact`);
        - else the nearest chunks without filters, checked in the lexical index
          (:meth:`_nearest_then_filtered`);
        - when too few of those pass, the index is scanned for the chunks the filter
          keeps (then remembered) and, when they are few, searched exactly as above.
        """
        lexical = self.handle.lexical
        found = lexical.matching(filters, scan=False)
        if found is None or found.many:
            kept = self._nearest_then_filtered(store, vector, top_k, filters)
            if kept is not None:
                return kept
            if found is None:
                found = lexical.matching(filters, scan=True)
        if found is None or found.many:
            return None
        return kept_vectors().nearest(store, self.store_metric, vector, found, lexical.path, top_k)

    def _nearest_then_filtered(
        self, store: VectorStore, vector: list[float], top_k: int, filters: Sequence[FilterCondition]
    ) -> list[ScoredId] | None:
        """The nearest chunks without filters, checked against them in the lexical index
        (the same metadata, the same filter semantics), best first, in windows of
        :data:`NEAREST_FIRST` × ``top_k`` (at least :data:`NEAREST_LEAST`) and then 4 × as many, until
        ``top_k`` pass; None (the store filters itself) when the store holds ids the index
        lacks, or when :data:`NEAREST_MAX` were not enough or the window so far says they
        would not be. Embedded Chroma's filtered query at 100,000 chunks took 80-550 ms where its
        nearest 80 took 4 ms and checking them in SQLite ~0.3 ms."""
        n = min(max(top_k * NEAREST_FIRST, NEAREST_LEAST), NEAREST_MAX)
        checked: set[str] = set()  # a larger window repeats most of the last one's ids
        passing: set[str] = set()
        while True:
            scored = store.search_ids(vector, n)
            new = [s.id for s in scored if s.id not in checked]
            more = self.handle.lexical.passing(new, filters)
            if more is None:
                return None
            checked.update(new)
            passing |= more
            kept = [s for s in scored if s.id in passing]
            if len(kept) >= top_k or len(scored) < n:  # enough, or every chunk was checked
                return kept[:top_k]
            if n >= NEAREST_MAX or len(kept) * NEAREST_MAX < top_k * n:
                return None
            n = min(n * 4, NEAREST_MAX)

    def fetch(self, ids: Sequence[str]) -> dict[str, SearchHit]:
        """Stored chunks by id (score 1.0); ids no longer stored are left out. Read from the
        lexical index where it has them (class doc), else from the store."""
        if not ids:
            return {}
        store = self.store()
        found = self.handle.lexical.get(ids) if self._texts_from_lexical(store) else {}
        missing = [i for i in ids if i not in found]
        if missing:
            found |= {h.id: h for h in store.get(missing)}
        return found

    def _texts_from_lexical(self, store: VectorStore) -> bool:
        """Can hits' texts and metadata be read from the lexical index? Only beside a local
        store that finds ids alone (its own ``search_ids``): the same write block, under the
        same lock, updates both. A remote store may be written from other machines.
        Decided once per opened store (a query may ask several times)."""
        if self._lexical_texts is None:
            self._lexical_texts = (
                store.is_local
                and type(store).search_ids is not VectorStore.search_ids
                and self.handle.lexical.path.exists()
            )
        return self._lexical_texts

    def lexical_search(
        self, query: str, top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[SearchHit]:
        """Best chunks by BM25 (see :mod:`llamafarm_core.lexical.index`), best first."""
        if top_k <= 0 or not self.handle.lexical.path.exists():
            return []
        return self.handle.lexical.search(query, top_k, filters=filters)

    def rescore(self, query: str, hits: Sequence[SearchHit], metric: str) -> list[SearchHit]:
        """``hits`` rescored under ``metric`` (chunk texts re-embedded), best first."""
        if not hits:
            return []
        vector = self.embed_query(query)
        vectors = self.handle.embed_documents([h.text for h in hits])
        rescored = {
            h.id: with_score(h, metric_score(metric, vector, v)) for h, v in zip(hits, vectors, strict=True)
        }
        return ranked(rescored)

    # -- nesting -----------------------------------------------------------------------------

    def build(
        self, type_name: str, config: Mapping[str, Any] | None, *, where: str, **kwargs: Any
    ) -> RetrievalStrategy:
        """A strategy from its ``type`` and ``config`` (validated; PluginError names ``where``)."""
        return self.registry.build_as(
            PluginKind.RETRIEVAL_STRATEGY, RetrievalStrategy, type_name, config, where=where, **kwargs
        )
