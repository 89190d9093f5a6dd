"""Qdrant: local path mode (``QdrantClient(path=<database dir>/qdrant)``) or a Qdrant server."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

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
from llamafarm_stores.filtering import check_filters, matches_nothing
from llamafarm_stores.qdrant_filter import (
    ID_FIELD,
    METADATA_FIELD,
    TEXT_FIELD,
    build_filter,
    file_filter,
    point_id,
)

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

_DISTANCES = {
    "cosine": "Cosine",
    "euclid": "Euclid",
    "euclidean": "Euclid",
    "l2": "Euclid",
    "dot": "Dot",
    "ip": "Dot",
    "manhattan": "Manhattan",
    "l1": "Manhattan",
}
_PAGE = 1000


class QdrantConfig(PluginConfig):
    """Local mode unless ``url`` or ``host`` is set."""

    collection_name: str | None = Field(None, description="Collection name (default: the database name).")
    vector_size: int | None = Field(None, gt=0, description="Vector size; default: that of the first add.")
    distance: str = Field("Cosine", description="Cosine, Euclid, Dot or Manhattan (case-insensitive).")
    url: str | None = Field(None, description="A Qdrant server, e.g. http://localhost:6333.")
    host: str | None = Field(None, description="A Qdrant server host (with port).")
    port: int = Field(6333, gt=0, lt=65536)
    grpc_port: int = Field(6334, gt=0, lt=65536)
    prefer_grpc: bool = False
    https: bool | None = None
    api_key: str | None = None
    timeout: float = Field(30.0, gt=0, description="Server request timeout in seconds.")
    lock_timeout: float = Field(
        10.0, ge=0, description="Local mode: how long to wait for another client to release the folder."
    )

    @field_validator("distance")
    @classmethod
    def _known_distance(cls, value: str) -> str:
        try:
            return _DISTANCES[value.strip().lower()]
        except KeyError:
            raise ValueError("must be one of Cosine, Euclid, Dot, Manhattan") from None


class QdrantStore(VectorStore[QdrantConfig]):
    """Qdrant vector store. Local mode keeps data in ``<database dir>/qdrant`` and holds an
    exclusive lock on it while open; ``close()`` releases it. Point ids are UUID5s of the
    chunk ids (the chunk id stays in the payload). Scores: Cosine/Dot ``(1+s)/2``,
    Euclid/Manhattan ``1/(1+d)``."""

    name: ClassVar[str] = "qdrant"
    aliases: ClassVar[tuple[str, ...]] = ("QdrantStore",)
    description: ClassVar[str] = "Qdrant, local path mode (default) or a Qdrant server"

    def __init__(self, config: QdrantConfig, *, path: Path, collection: str) -> None:
        super().__init__(config, path=path, collection=collection)
        self.collection_name = config.collection_name or collection
        self._client: QdrantClient | None = None
        self._exists = False
        self._size: int | None = None

    def egress_targets(self) -> list[str]:
        target = self.config.url or self.config.host
        return [target] if target else []

    @property
    def is_local(self) -> bool:
        return not (self.config.url or self.config.host)

    @property
    def data_dir(self) -> Path:
        return self.path / "qdrant"

    # -- client -------------------------------------------------------------------------

    def _open(self) -> QdrantClient:
        if self._client is None:
            self._client = self._open_local() if self.is_local else self._open_server()
        return self._client

    def _open_server(self) -> QdrantClient:
        from qdrant_client import QdrantClient

        return QdrantClient(
            url=self.config.url,
            host=None if self.config.url else self.config.host,
            port=self.config.port,
            grpc_port=self.config.grpc_port,
            prefer_grpc=self.config.prefer_grpc,
            https=self.config.https,
            api_key=self.config.api_key,
            timeout=int(self.config.timeout),
        )

    def _open_local(self) -> QdrantClient:
        """Open the folder, waiting up to ``lock_timeout`` for another client to let go."""
        from qdrant_client import QdrantClient

        self.data_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.config.lock_timeout
        delay = 0.05
        while True:
            try:
                return QdrantClient(path=str(self.data_dir))
            except RuntimeError as err:
                if "already accessed" not in str(err):
                    raise
                if time.monotonic() >= deadline:
                    raise Conflict(
                        f"QdrantStore: {self.data_dir} is in use by another Qdrant client "
                        f"(waited {self.config.lock_timeout:g}s); local mode allows one client at a time"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def close(self) -> None:
        client, self._client = self._client, None
        self._exists, self._size = False, None
        if client is not None:
            client.close()

    def _where(self) -> str:
        return self.config.url or (
            f"{self.config.host}:{self.config.port}" if self.config.host else str(self.data_dir)
        )

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        import httpx
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        try:
            yield
        except UnexpectedResponse as err:
            raise ComponentUnavailable(f"QdrantStore at {self._where()}: {err}") from None
        except ResponseHandlingException as err:
            if isinstance(err.source, httpx.TimeoutException):
                raise UpstreamTimeout(f"QdrantStore: {self._where()} timed out") from None
            raise ComponentUnavailable(f"QdrantStore: cannot reach {self._where()} ({err.source})") from None

    # -- collection ---------------------------------------------------------------------

    def _collection_ready(self, create_with_size: int | None = None) -> bool:
        """Whether the collection exists; creates it when ``create_with_size`` is given."""
        if self._exists:
            return True
        if create_with_size is None and self.is_local and not self.data_dir.is_dir():
            return False  # nothing written yet: reading must not create a database
        client = self._open()
        with self._errors():
            exists = client.collection_exists(self.collection_name)
            if exists:
                self._check_params(client)
            elif create_with_size is not None:
                from qdrant_client import models

                size = self.config.vector_size or create_with_size
                client.create_collection(
                    self.collection_name,
                    vectors_config=models.VectorParams(
                        size=size, distance=models.Distance(self.config.distance)
                    ),
                )
                self._size = size
                exists = True
        self._exists = exists
        return exists

    def _check_params(self, client: QdrantClient) -> None:
        params = client.get_collection(self.collection_name).config.params.vectors
        size = getattr(params, "size", None)
        distance = getattr(getattr(params, "distance", None), "value", None)
        if distance != self.config.distance:
            raise Conflict(
                f"QdrantStore: collection {self.collection_name!r} uses distance {distance}, "
                f"the config says {self.config.distance}; change distance or collection_name"
            )
        if self.config.vector_size and size != self.config.vector_size:
            raise Conflict(
                f"QdrantStore: collection {self.collection_name!r} holds {size}-dimensional vectors, "
                f"the config says vector_size {self.config.vector_size}"
            )
        self._size = size

    def _check_dimension(self, vector: Sequence[float]) -> None:
        size = self._size or self.config.vector_size
        if size is not None and len(vector) != size:
            raise Conflict(
                f"QdrantStore: collection {self.collection_name!r} holds {size}-dimensional vectors, "
                f"got {len(vector)}; vectors of one collection must all come from the same embedding model"
            )

    # -- writes -------------------------------------------------------------------------

    def add(self, records: Sequence[ChunkRecord]) -> None:
        from qdrant_client import models

        from llamafarm_core.plugin_api import flatten_metadata

        if not records:
            return
        self._collection_ready(create_with_size=len(records[0].embedding))
        points = []
        for r in {r.id: r for r in records}.values():
            self._check_dimension(r.embedding)
            payload = {ID_FIELD: r.id, TEXT_FIELD: r.text, METADATA_FIELD: flatten_metadata(r.metadata)}
            points.append(
                models.PointStruct(id=point_id(r.id), vector=list(map(float, r.embedding)), payload=payload)
            )
        for start in range(0, len(points), _PAGE):
            with self._errors():
                self._open().upsert(self.collection_name, points=points[start : start + _PAGE], wait=True)

    def delete(self, ids: Sequence[str]) -> None:
        from qdrant_client import models

        if not ids or not self._collection_ready():
            return
        selector = models.PointIdsList(points=[point_id(i) for i in ids])
        with self._errors():
            self._open().delete(self.collection_name, points_selector=selector, wait=True)

    # -- reads --------------------------------------------------------------------------

    def search(
        self, embedding: Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[SearchHit]:
        hits = [_hit(p.payload, score) for p, score in self._query(embedding, top_k, filters, True)]
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def search_ids(
        self, embedding: Sequence[float], top_k: int, filters: Sequence[FilterCondition] = ()
    ) -> list[ScoredId]:
        found = self._query(embedding, top_k, filters, [ID_FIELD])
        scored = [ScoredId(str((p.payload or {}).get(ID_FIELD, "")), score) for p, score in found]
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _query(
        self,
        embedding: Sequence[float],
        top_k: int,
        filters: Sequence[FilterCondition],
        payload: bool | list[str],
    ) -> list[tuple[Any, float]]:
        """The nearest points (with ``payload``) and their scores in [0, 1]."""
        if top_k < 1:
            raise BadRequest(f"top_k must be at least 1, got {top_k}")
        conditions = check_filters(filters)
        if not self._collection_ready() or matches_nothing(conditions):
            return []
        self._check_dimension(embedding)
        with self._errors():
            points = (
                self._open()
                .query_points(
                    self.collection_name,
                    query=list(map(float, embedding)),
                    limit=top_k,
                    query_filter=build_filter(conditions),
                    with_payload=payload,
                )
                .points
            )
        to_score = (
            scoring.from_similarity if self.config.distance in ("Cosine", "Dot") else scoring.from_distance
        )
        return [(p, to_score(float(p.score))) for p in points]

    def count(self) -> int:
        if not self._collection_ready():
            return 0
        with self._errors():
            return int(self._open().count(self.collection_name, exact=True).count)

    def get(self, ids: Sequence[str]) -> list[SearchHit]:
        if not ids or not self._collection_ready():
            return []
        with self._errors():
            points = self._open().retrieve(
                self.collection_name, ids=[point_id(i) for i in dict.fromkeys(ids)], with_payload=True
            )
        return [_hit(p.payload, 1.0) for p in points]

    def vectors(self, ids: Sequence[str]) -> dict[str, Sequence[float]] | None:
        if not ids or not self._collection_ready():
            return {}
        with self._errors():
            points = self._open().retrieve(
                self.collection_name,
                ids=[point_id(i) for i in dict.fromkeys(ids)],
                with_payload=[ID_FIELD],
                with_vectors=True,
            )
        found: dict[str, Sequence[float]] = {}
        for p in points:
            vector = p.vector
            if not isinstance(vector, list) or any(isinstance(x, list) for x in vector[:1]):
                return None  # named, sparse or multi-vectors: not this store's
            found[str((p.payload or {}).get(ID_FIELD, ""))] = cast(list[float], vector)
        return found

    def ids_for_file(self, file_hash: str) -> list[str]:
        return [str(p[ID_FIELD]) for p in self._scroll(file_filter(file_hash), [ID_FIELD])]

    def file_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for payload in self._scroll(None, [METADATA_FIELD]):
            file_hash = (payload.get(METADATA_FIELD) or {}).get("file_hash")
            if isinstance(file_hash, str):
                counts[file_hash] = counts.get(file_hash, 0) + 1
        return counts

    def _scroll(self, flt: Any, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Payloads (only ``fields``) of every point matching ``flt``, page by page."""
        if not self._collection_ready():
            return
        offset = None
        while True:
            with self._errors():
                points, offset = self._open().scroll(
                    self.collection_name,
                    scroll_filter=flt,
                    limit=_PAGE,
                    offset=offset,
                    with_payload=fields,
                    with_vectors=False,
                )
            for p in points:
                yield dict(p.payload or {})
            if offset is None:
                return


def _hit(payload: dict[str, Any] | None, score: float) -> SearchHit:
    payload = payload or {}
    return SearchHit(
        id=str(payload.get(ID_FIELD, "")),
        text=str(payload.get(TEXT_FIELD, "")),
        score=score,
        metadata=dict(payload.get(METADATA_FIELD) or {}),
    )
