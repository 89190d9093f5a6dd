"""What the project's MCP tools and resources do: plain blocking functions over the core,
given the project they serve (:class:`ProjectScope`). No MCP types here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from llamafarm_core.chat.rag import RagOptions
from llamafarm_core.chat.service import ChatContext, ChatInput, complete_turn
from llamafarm_core.chat.sessions import SessionStore
from llamafarm_core.databases import find_database
from llamafarm_core.datasets.blobs import BlobStore
from llamafarm_core.datasets.layout import ProjectLayout
from llamafarm_core.datasets.store import DatasetStore
from llamafarm_core.errors import NotFound
from llamafarm_core.llm.types import ChatMessage, Role
from llamafarm_core.names import check_file_hash, check_name
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.retrieval import inventory, service
from llamafarm_core.retrieval.request import RetrievalRequest
from llamafarm_core.settings import Settings

URI_SCHEME = "llamafarm"
# A resource's text is cut here (a desktop client puts it in a model's context).
MAX_RESOURCE_BYTES = 1024 * 1024
MAX_TOP_K = 50


@dataclass(frozen=True)
class ProjectScope:
    """The project a request to its MCP endpoint serves, and the app's shared pieces."""

    settings: Settings
    registry: Registry
    projects: ProjectStore
    sessions: SessionStore
    ref: ProjectRef

    def project(self) -> Project:
        return self.projects.get(self.ref)

    def datasets(self) -> DatasetStore:
        return DatasetStore(self.settings, self.projects, self.registry)


def dumps(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, default=str)


def search(
    scope: ProjectScope,
    query: str,
    top_k: int = 5,
    database: str | None = None,
    retrieval_strategy: str | None = None,
) -> dict[str, Any]:
    """``rag/query`` with the project's strategies."""
    request = RetrievalRequest(query=query, top_k=max(1, min(top_k, MAX_TOP_K)))
    result = service.query(
        scope.settings, scope.registry, scope.project(), request, database, retrieval_strategy
    )
    return {
        "query": result.query,
        "database": result.database,
        "retrieval_strategy": result.strategy,
        "results": [
            {
                "content": hit.text,
                "score": round(hit.score, 6),
                "source": hit.metadata.get("filename") or hit.metadata.get("source"),
                "chunk_id": hit.id,
                "metadata": hit.metadata,
            }
            for hit in result.hits
        ],
    }


def list_datasets(scope: ProjectScope) -> dict[str, Any]:
    """The project's datasets with their files and processing states."""
    views = scope.datasets().list_datasets(scope.ref)
    return {
        "datasets": [
            {
                "name": view.dataset.name,
                "database": view.dataset.database,
                "data_processing_strategy": view.dataset.data_processing_strategy,
                "files": [
                    {
                        "hash": f.hash,
                        "filename": f.original_filename,
                        "size": f.size,
                        "status": f.status,
                        "chunks": f.chunks,
                        "uri": file_uri(scope.ref, view.dataset.name, f.hash),
                    }
                    for f in view.files or []
                ],
            }
            for view in views
        ]
    }


def list_documents(scope: ProjectScope, database: str | None = None) -> dict[str, Any]:
    """The files stored in a database (default: the project's default database)."""
    project = scope.project()
    name = find_database(project, database).name
    docs = inventory.documents(scope.settings, scope.registry, project, name)
    return {
        "database": name,
        "documents": [
            {
                "filename": d.filename,
                "file_hash": d.file_hash,
                "chunks": d.chunk_count,
                "datasets": d.datasets,
            }
            for d in docs
        ],
    }


def ask(
    scope: ProjectScope, question: str, database: str | None = None, max_tokens: int | None = None
) -> dict[str, Any]:
    """A stateless chat turn with RAG; the answer and its sources."""
    ctx = ChatContext(scope.settings, scope.registry, scope.project(), scope.sessions)
    chat = ChatInput(
        messages=[ChatMessage(Role.USER, question)],
        params={"max_tokens": max_tokens} if max_tokens else {},
        rag=RagOptions(enabled=True, database=database),
    )
    result = complete_turn(ctx, chat)
    return {
        "answer": result.completion.text,
        "sources": [{"filename": s.filename, "score": s.score, "content": s.content} for s in result.sources],
    }


def file_uri(ref: ProjectRef, dataset: str, file_hash: str) -> str:
    return f"{URI_SCHEME}://{ref.namespace}/{ref.name}/datasets/{dataset}/files/{file_hash}"


@dataclass(frozen=True)
class FileResource:
    uri: str
    name: str
    mime_type: str
    size: int


def file_resources(scope: ProjectScope) -> list[FileResource]:
    """Every stored file of every dataset, as a resource."""
    out = []
    for view in scope.datasets().list_datasets(scope.ref):
        for f in view.files or []:
            if f.stored:
                out.append(
                    FileResource(
                        uri=file_uri(scope.ref, view.dataset.name, f.hash),
                        name=f"{view.dataset.name}/{f.original_filename or f.hash}",
                        mime_type=f.mime_type or "application/octet-stream",
                        size=f.size,
                    )
                )
    return out


def read_file(scope: ProjectScope, uri: str) -> tuple[str | bytes, str]:
    """(content, mime type) of a dataset's file: text when it decodes as UTF-8, else bytes.
    Only files of this project's datasets are readable."""
    prefix = f"{URI_SCHEME}://{scope.ref.namespace}/{scope.ref.name}/datasets/"
    rest = uri[len(prefix) :] if uri.startswith(prefix) else ""
    parts = rest.split("/")
    if len(parts) != 3 or parts[1] != "files":
        raise NotFound(f"no such resource {uri[:200]!r} in project {scope.ref.namespace}/{scope.ref.name}")
    dataset, file_hash = check_name(parts[0], "dataset"), check_file_hash(parts[2])
    project = scope.project()
    if not any(d.name == dataset and file_hash in d.files for d in project.config.datasets):
        raise NotFound(f"dataset {dataset!r} has no file {file_hash}")
    blobs = BlobStore(ProjectLayout(project.path))
    source = blobs.source(file_hash)
    if source is None:
        raise NotFound(f"the content of file {file_hash} is missing")
    with open(source.path, "rb") as fh:
        data = fh.read(MAX_RESOURCE_BYTES + 1)
    data = data[:MAX_RESOURCE_BYTES]
    try:
        return data.decode("utf-8"), source.mime_type
    except UnicodeDecodeError:
        return data, source.mime_type
