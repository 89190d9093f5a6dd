"""Pydantic models of ``llamafarm.yaml`` v1, compatible with the original's files.

Structure is checked here; component ``type:`` names and their ``config`` blocks are checked
against the plugin registry in :mod:`llamafarm_core.plugins.validation` (two phases, so that a
config loads even where a plugin package is missing and fails only where it is used).
Values keep their ``${VAR}`` placeholders; see :mod:`llamafarm_core.config.envsubst`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llamafarm_core.config.mcp import InlineTool, McpSection
from llamafarm_core.errors import BadRequest
from llamafarm_core.names import NAME_PATTERN, check_unique

DATABASE_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Message(_Strict):
    role: str
    content: str


class PromptSet(_Strict):
    name: str
    messages: list[Message] = Field(default_factory=list)


class RuntimeModel(_Strict):
    """One entry of ``runtime.models``: a named model served by a provider plugin."""

    name: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    model: str = Field(min_length=1)
    description: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    default: bool | None = None
    prompt_format: str | None = None
    model_api_parameters: dict[str, Any] | None = None
    prompts: list[str] | None = None
    instructor_mode: str | None = None
    extra_body: dict[str, Any] | None = None
    provider_config: dict[str, Any] | None = None
    mcp_servers: list[str] | None = None
    tools: list[InlineTool] | None = None


class Runtime(_Strict):
    """``runtime``: a list of models, or the older flat form that means one model."""

    models: list[RuntimeModel] | None = None
    default_model: str | None = None
    # The older flat form.
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    model_api_parameters: dict[str, Any] | None = None
    instructor_mode: str | None = None
    prompt_format: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Runtime:
        if not self.models and not (self.provider and self.model):
            raise ValueError("give runtime.models[] or the flat runtime.provider + runtime.model")
        names = [m.name for m in self.models] if self.models else [str(self.model)]
        check_unique(names, "model")
        if self.default_model and self.default_model not in names:
            raise ValueError(f"default_model {self.default_model!r} is not one of: {', '.join(names)}")
        return self

    def resolved_models(self) -> list[RuntimeModel]:
        """The models, with the flat form turned into one model named after its ``model``."""
        if self.models:
            return list(self.models)
        assert self.provider and self.model
        return [
            RuntimeModel(
                name=self.model,
                provider=self.provider,
                model=self.model,
                base_url=self.base_url,
                api_key=self.api_key,
                default=True,
                model_api_parameters=self.model_api_parameters,
                instructor_mode=self.instructor_mode,
                prompt_format=self.prompt_format,
            )
        ]

    def default(self) -> RuntimeModel:
        """``default_model``, else the one marked ``default: true``, else the first."""
        models = self.resolved_models()
        if self.default_model:
            return next(m for m in models if m.name == self.default_model)
        return next((m for m in models if m.default), models[0])


class ComponentRef(_Strict):
    """A ``{type, config}`` pair naming a plugin; ``config`` is checked by the plugin."""

    type: str = Field(min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)


class ParserRef(ComponentRef):
    file_include_patterns: list[str] | None = None
    file_extensions: list[str] | None = None
    file_exclude_patterns: list[str] | None = None
    priority: int = 50


class ExtractorRef(ComponentRef):
    file_include_patterns: list[str] | None = None
    file_exclude_patterns: list[str] | None = None
    priority: int = 50


class EmbeddingStrategy(ComponentRef):
    name: str = Field(min_length=1)
    priority: int = 0


class RetrievalStrategyRef(ComponentRef):
    name: str = Field(min_length=1)
    default: bool | None = None


class Database(_Strict):
    name: str = Field(pattern=DATABASE_NAME_PATTERN)
    type: str = Field(min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    embedding_strategies: list[EmbeddingStrategy] = Field(default_factory=list)
    retrieval_strategies: list[RetrievalStrategyRef] = Field(default_factory=list)
    default_embedding_strategy: str | None = None
    default_retrieval_strategy: str | None = None

    @model_validator(mode="after")
    def _defaults_exist(self) -> Database:
        emb = [e.name for e in self.embedding_strategies]
        ret = [r.name for r in self.retrieval_strategies]
        if self.default_embedding_strategy and self.default_embedding_strategy not in emb:
            raise ValueError(
                f"default_embedding_strategy {self.default_embedding_strategy!r} is not one of: {', '.join(emb) or '(none)'}"
            )
        if self.default_retrieval_strategy and self.default_retrieval_strategy not in ret:
            raise ValueError(
                f"default_retrieval_strategy {self.default_retrieval_strategy!r} is not one of: {', '.join(ret) or '(none)'}"
            )
        return self

    def embedding_strategy(self) -> EmbeddingStrategy | None:
        """The default embedding strategy, else the one with the highest priority."""
        if self.default_embedding_strategy:
            return next(e for e in self.embedding_strategies if e.name == self.default_embedding_strategy)
        if not self.embedding_strategies:
            return None
        return max(self.embedding_strategies, key=lambda e: e.priority)

    def retrieval_strategy(self, name: str | None = None) -> RetrievalStrategyRef | None:
        """By name; else ``default_retrieval_strategy``, the one marked default, or the first."""
        wanted = name or self.default_retrieval_strategy
        if wanted:
            return next((r for r in self.retrieval_strategies if r.name == wanted), None)
        return next((r for r in self.retrieval_strategies if r.default), None) or (
            self.retrieval_strategies[0] if self.retrieval_strategies else None
        )


class DataProcessingStrategy(_Strict):
    name: str = Field(min_length=1)
    description: str | None = None
    parsers: list[ParserRef] = Field(default_factory=list)
    extractors: list[ExtractorRef] = Field(default_factory=list)


class Rag(_Strict):
    databases: list[Database] = Field(default_factory=list)
    data_processing_strategies: list[DataProcessingStrategy] = Field(default_factory=list)
    default_database: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> Rag:
        for label, names in (
            ("database", [d.name for d in self.databases]),
            ("data processing strategy", [s.name for s in self.data_processing_strategies]),
        ):
            check_unique(names, label)
        if self.default_database and self.default_database not in [d.name for d in self.databases]:
            raise ValueError(f"default_database {self.default_database!r} is not a configured database")
        return self

    def database(self, name: str | None = None) -> Database | None:
        """By name; else ``default_database``, else the first."""
        wanted = name or self.default_database
        if wanted:
            return next((d for d in self.databases if d.name == wanted), None)
        return self.databases[0] if self.databases else None

    def require_database(self, name: str | None = None) -> Database:
        """:meth:`database`, or BadRequest (400) naming the configured ones: the one place
        an unknown database is reported, whichever route named it."""
        found = self.database(name)
        if found is None:
            known = ", ".join(d.name for d in self.databases) or "(none)"
            raise BadRequest(f"unknown database {name or '(default)'!r}; known databases: {known}")
        return found

    def strategy(self, name: str) -> DataProcessingStrategy | None:
        return next((s for s in self.data_processing_strategies if s.name == name), None)


class Dataset(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    database: str | None = None
    data_processing_strategy: str | None = None
    files: list[str] = Field(default_factory=list)
    auto_process: bool | None = None
    description: str | None = None


class LlamaFarmConfig(BaseModel):
    """The whole file. Unknown top-level sections are kept as they are (round-trip)."""

    model_config = ConfigDict(extra="allow")

    version: Literal["v1"] = "v1"
    name: str = Field(pattern=NAME_PATTERN)
    namespace: str = Field(pattern=NAME_PATTERN)
    runtime: Runtime
    prompts: list[PromptSet] = Field(default_factory=list)
    rag: Rag | None = None
    datasets: list[Dataset] = Field(default_factory=list)
    mcp: McpSection | None = None

    @model_validator(mode="after")
    def _datasets_refer_to_config(self) -> LlamaFarmConfig:
        check_unique([d.name for d in self.datasets], "dataset")
        dbs = [d.name for d in self.rag.databases] if self.rag else []
        strategies = [s.name for s in self.rag.data_processing_strategies] if self.rag else []
        for ds in self.datasets:
            if ds.database and ds.database not in dbs:
                raise ValueError(
                    f"dataset {ds.name!r}: database {ds.database!r} is not one of: {', '.join(dbs) or '(none)'}"
                )
            if ds.data_processing_strategy and ds.data_processing_strategy not in strategies:
                raise ValueError(
                    f"dataset {ds.name!r}: data_processing_strategy {ds.data_processing_strategy!r} "
                    f"is not one of: {', '.join(strategies) or '(none)'}"
                )
        servers = [s.name for s in self.mcp.servers] if self.mcp else []
        for m in self.runtime.models or []:
            unknown = [n for n in m.mcp_servers or [] if n not in servers]
            if unknown:
                raise ValueError(
                    f"model {m.name!r}: mcp_servers {', '.join(unknown)} not in mcp.servers "
                    f"({', '.join(servers) or 'none'})"
                )
        return self

    def dataset(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def prompt_messages(self, names: list[str] | None = None) -> list[Message]:
        """System prompt messages: the named sets in the given order, else all sets in file order."""
        sets = self.prompts if names is None else [p for n in names for p in self.prompts if p.name == n]
        return [m for p in sets for m in p.messages]
