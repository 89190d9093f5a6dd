"""Chroma: embedded (``PersistentClient`` under the database's directory) or a Chroma server."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator

from llamafarm_core.plugin_api import (
    BadRequest,
    ChunkRecord,
    ComponentUnavailable,
    Conflict,
    FilterCondition,
    PluginConfig,
    ScoredId,
    SearchHit,
    UpstreamTimeout,
    VectorStore,
)
from llamafarm_stores import scoring
from llamafarm_stores.chroma_where import (
    build_where,
    from_chroma_metadata,
    keys_to_require,
    to_chroma_metadata,
)
from llamafarm_stores.filtering import check_filters, matches_nothing

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
_PAGE = 1000


class ChromaConfig(PluginConfig):
    """``persist_directory`` is accepted for compatibility and ignored: embedded data always
    lives in ``<database dir>/chroma`` inside the project. ``port`` without ``host`` is ignored."""

    collection_name: str | None = Field(
        None, description="Collection name (default: the database name). 3-512 chars of [A-Za-z0-9._-]."
    )
    distance_function: Literal["cosine", "l2", "ip"] = "cosine"
    host: str | None = Field(None, description="A Chroma server; embedded mode when unset.")
    port: int = Field(8000, gt=0, lt=65536, description="Server port; ignored without host.")
    ssl: bool = False
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers (e.g. auth).")

    @field_validator("collection_name")
    @classmethod
    def _valid_name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME_RE.match(value):
            raise ValueError(
                "must be 3-512 characters of letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        return value


def chroma_collection_name(name: str) -> str:
    """A default collection name Chroma accepts: database names may be 1-2 characters long
    or end with '_' (valid for us, not for Chroma), so those get a suffix."""
    return name if _NAME_RE.match(name) else f"{name}_lf"


class ChromaStore(VectorStore[ChromaConfig]):
    """Chroma vector store. Embedded by default (data in ``<database dir>/chroma``); with
    ``host`` a Chroma server over HTTP. Scores: cosine/ip ``1 - d/2``, l2 ``1/(1+sqrt(d))``."""

    name: ClassVar[str] = "chroma"
    aliases: ClassVar[tuple[str, ...]] = ("ChromaStore",)
    description: ClassVar[str] = "Chroma, embedded (default) or a Chroma server"
    ignored_keys: ClassVar[frozenset[str]] = frozenset({"persist_directory"})

    def __init__(self, config: ChromaConfig, *, path: Path, collection: str) -> None:
        super().__init__(config, path=path, collection=collection)
        self.collection_name = config.collection_name or chroma_collection_name(collection)
        self._client: Any = None
        self._collection: Collection | None = None
        # Whether the collection is empty, known since our last write (embedded only: nobody
        # else writes while this instance is open, see llamafarm_core.databases).
        self._empty: bool | None = None

    def egress_targets(self) -> list[str]:
        return [f"{self.config.host}:{self.config.port}"] if self.config.host else []

    @property
    def is_local(self) -> bool:
        return not self.config.host

    @property
    def stays_open(self) -> bool:
        # An idle embedded client holds no file lock; a reopen (after any write) drops
        # the process's cached system (chroma_clients) and reads the latest data.
        return True

    @property
    def data_dir(self) -> Path:
        return self.path / "chroma"

    # -- clients ------------------------------------------------------------------------

    def _open(self) -> Any:
        from llamafarm_stores import chroma_clients

        if self._client is None:
            if self.config.host:
                self._client = chroma_clients.open_http(
                    self.config.host, self.config.port, self.config.ssl, self.config.headers
                )
            else:
                self._client = chroma_clients.open_persistent(self.data_dir)
        return self._client

    def close(self) -> None:
        from llamafarm_stores import chroma_clients

        client, self._client, self._collection, self._empty = self._client, None, None, None
        if client is None:
            return
        if self.config.host:
            client.close()
        else:
            chroma_clients.close_persistent(client, self.data_dir)

    def _get_collection(self, create: bool) -> Collection | None:
        """The collection; None when it doesn't exist and ``create`` is false."""
        if self._collection is not None:
            return self._collection
        if not create and self.is_local and not (self.data_dir / "chroma.sqlite3").is_file():
            return None  # nothing written yet: reading must not create a database
        client = self._open()
        with self._errors():
            if create:
                collection = client.get_or_create_collection(
                    self.collection_name,
                    configuration={"hnsw": {"space": self.config.distance_function}},
                    embedding_function=None,
                )
            else:
                from chromadb.errors import NotFoundError

                try:
                    collection = client.get_collection(self.collection_name, embedding_function=None)
                except NotFoundError:
                    return None
        self._check_space(collection)
        self._collection = collection
        return collection

    def _space(self, collection: Collection) -> str:
        hnsw = (collection.configuration or {}).get("hnsw") or {}
        return str(hnsw.get("space") or (collection.metadata or {}).get("hnsw:space") or "l2")

    def _check_space(self, collection: Collection) -> None:
        space = self._space(collection)
        if space != self.config.distance_function:
            raise Conflict(
                f"ChromaStore: collection {self.collection_name!r} was created with distance "
                f"{space!r}, but the config says {self.config.distance_function!r}; set "
                f"distance_function: {space} or use another collection_name"
            )

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Chroma and transport errors → the core's errors, with the collection named."""
        import httpx
        from chromadb.errors import ChromaError, InvalidArgumentError

        try:
            yield
        except InvalidArgumentError as err:
            if "dimension" in str(err):
                raise Conflict(
                    f"ChromaStore collection {self.collection_name!r}: {err}; vectors of one "
                    "collection must all come from the same embedding model"
                ) from None
            raise BadRequest(f"ChromaStore collection {self.collection_name!r}: {err}") from None
        except httpx.TimeoutException:
            raise UpstreamTimeout(f"ChromaStore: the Chroma server at {self._where()} timed out") from None
        except httpx.HTTPError as err:
            raise ComponentUnavailable(f"ChromaStore: cannot reach {self._where()} ({err})") from None
        except ChromaError as err:
            raise ComponentUnavailable(f"ChromaStore collection {self.collection_name!r}: {err}") from None
        except ValueError as err:  # chromadb validates its inputs with ValueError
            raise BadRequest(f"ChromaStore collection {self.collection_name!r}: {err}") from None

    def _where(self) -> str:
        scheme = "https" if self.config.ssl else "http"
        return f"{scheme}://{self.config.host}:{self.config.port}" if self.config.host else str(self.data_dir)

    # -- writes -------------------------------------------------------------------------

    def add(self, records: Sequence[ChunkRecord]) -> None:
        if not records:
            return
        latest = list({r.id: r for r in records}.values())  # a repeated id: the last one wins
        self._empty = None
        collection = self._get_collection(create=True)
        assert collection is not None
        for start in range(0, len(latest), _PAGE):  # Chroma caps the size of one write
            batch = latest[start : start + _PAGE]
            with self._errors():
                collection.upsert(
                    ids=[r.id for r in batch],
                    embeddings=[list(map(float, r.embedding)) for r in batch],  # type: ignore[arg-type]
                    documents=[r.text for r in batch],
                    metadatas=[to_chroma_metadata(r.metadata) for r in batch],  # type: ignore[misc]
                )

    def delete(self, ids: Sequence[str]) -> None:
        collection = self._get_collection(create=False)
        if collection is None or not ids:
            return
        unique = list(dict.fromkeys(ids))
        self._empty = None
        for start in range(0, len(unique), _PAGE):
            with self._errors():
                collection.delete(ids=unique[start : start + _PAGE])

    # -- reads --------------------------------------------------------------------------

    def search(
        self, embedding: Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[SearchHit]:
        found = self._query(embedding, top_k, filters, ["documents", "metadatas", "distances"])
        if found is None:
            return []
        result, to_score = found
        hits = [
            SearchHit(id=i, text=doc or "", score=to_score(float(d)), metadata=from_chroma_metadata(meta))
            for i, doc, meta, d in zip(
                result["ids"][0],
                (result["documents"] or [[]])[0],
                (result["metadatas"] or [[]])[0],
                (result["distances"] or [[]])[0],
                strict=True,
            )
        ]
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def search_ids(
        self, embedding: Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[ScoredId]:
        found = self._query(embedding, top_k, filters, ["distances"])
        if found is None:
            return []
        result, to_score = found
        scored = [
            ScoredId(i, to_score(float(d)))
            for i, d in zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True)
        ]
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _query(
        self, embedding: Sequence[float], top_k: int, filters: Sequence[FilterCondition], include: list[str]
    ) -> tuple[Any, Callable[[float], float]] | None:
        """Chroma's query result and the distance → score function; None when nothing can match."""
        if top_k < 1:
            raise BadRequest(f"top_k must be at least 1, got {top_k}")
        conditions = check_filters(filters)
        collection = self._get_collection(create=False)
        if collection is None or matches_nothing(conditions):
            return None
        with self._errors():
            if self._empty is None or not self.is_local:
                self._empty = collection.count() == 0
            if self._empty:
                return None
            query = [list(map(float, embedding))]
            where = build_where(conditions)
            required = keys_to_require(conditions)
            result: Any
            if required:
                result = self._query_having(collection, query, top_k, where, include, required)
            else:
                result = collection.query(
                    query_embeddings=query,  # type: ignore[arg-type]
                    n_results=top_k,
                    where=where,  # type: ignore[arg-type]
                    include=include,  # type: ignore[arg-type]
                )
        # the collection's space is the configured one (checked when it was opened): reading it
        # back from Chroma parses its configuration JSON, and a query must not pay that
        to_score = scoring.from_squared_l2 if self.config.distance_function == "l2" else _from_cosine_distance
        return result, to_score

    @staticmethod
    def _query_having(
        collection: Collection,
        query: list[list[float]],
        top_k: int,
        where: dict[str, Any] | None,
        include: list[str],
        required: frozenset[str],
    ) -> dict[str, list[list[Any]]]:
        """A query whose hits must have every key in ``required``: Chroma's ``$ne``/``$nin``
        also match records without the key, so those are dropped here, asking for four times
        as many until ``top_k`` are left or the collection has no more. Chunks of one dataset
        mostly share their keys, so the first answer is nearly always enough."""
        fields = list(dict.fromkeys([*include, "metadatas"]))
        asked, total = top_k, None
        while True:
            result = collection.query(
                query_embeddings=query,  # type: ignore[arg-type]
                n_results=asked,
                where=where,  # type: ignore[arg-type]
                include=fields,  # type: ignore[arg-type]
            )
            metadatas = (result["metadatas"] or [[]])[0]
            keep = [i for i, meta in enumerate(metadatas) if meta and required <= meta.keys()]
            if len(keep) >= top_k or len(result["ids"][0]) < asked:
                break
            total = collection.count() if total is None else total
            if asked >= total:
                break
            asked = min(asked * 4, total)
        keep = keep[:top_k]
        columns = {"ids": result["ids"][0], **{name: (result[name] or [[]])[0] for name in include}}  # type: ignore[literal-required]
        return {name: [[column[i] for i in keep]] for name, column in columns.items()}

    def count(self) -> int:
        collection = self._get_collection(create=False)
        if collection is None:
            return 0
        with self._errors():
            return int(collection.count())

    def get(self, ids: Sequence[str]) -> list[SearchHit]:
        collection = self._get_collection(create=False)
        if collection is None or not ids:
            return []
        with self._errors():
            result = collection.get(ids=list(dict.fromkeys(ids)), include=["documents", "metadatas"])  # type: ignore[list-item]
        return [
            SearchHit(id=i, text=doc or "", score=1.0, metadata=from_chroma_metadata(meta))
            for i, doc, meta in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True
            )
        ]

    def vectors(self, ids: Sequence[str]) -> dict[str, Sequence[float]] | None:
        collection = self._get_collection(create=False)
        unique = list(dict.fromkeys(ids))
        found: dict[str, Sequence[float]] = {}
        if collection is None or not unique:
            return found
        for start in range(0, len(unique), _PAGE):
            with self._errors():
                page = collection.get(ids=unique[start : start + _PAGE], include=["embeddings"])  # type: ignore[list-item]
            embeddings = page["embeddings"]
            if embeddings is None:
                return None
            found.update(zip(page["ids"], embeddings, strict=True))  # type: ignore[arg-type]
        return found

    def ids_for_file(self, file_hash: str) -> list[str]:
        collection = self._get_collection(create=False)
        if collection is None:
            return []
        with self._errors():
            return list(collection.get(where={"file_hash": file_hash}, include=[])["ids"])

    def file_counts(self) -> dict[str, int]:
        collection = self._get_collection(create=False)
        counts: dict[str, int] = {}
        if collection is None:
            return counts
        offset = 0
        while True:
            with self._errors():
                page = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)  # type: ignore[list-item]
            metadatas = page["metadatas"] or []
            for meta in metadatas:
                file_hash = (meta or {}).get("file_hash")
                if isinstance(file_hash, str):
                    counts[file_hash] = counts.get(file_hash, 0) + 1
            if len(page["ids"]) < _PAGE:
                return counts
            offset += _PAGE


def _from_cosine_distance(distance: float) -> float:
    # Chroma's cosine distance is 1 - cos and its ip distance 1 - dot: both map to (1 + s) / 2.
    return scoring.from_similarity(1.0 - distance)
