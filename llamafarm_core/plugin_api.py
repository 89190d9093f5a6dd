"""The one module a plugin imports from: ``from llamafarm_core.plugin_api import ...``.

Everything a component needs is here, chosen on purpose: the hook marker, the six base
classes and their config bases, the document and vector types, the errors a component may
raise, and the helpers the built-in plugins share (chunking, text units, scoring, filters,
chat prompt rendering). The modules these come from are internal and may move; this list is
the contract and only grows. The built-in plugins under ``plugins/`` import nothing else from
``llamafarm_core`` (tests/core/plugins/test_plugin_api.py checks it). See docs/plugins.md.

Importing this module imports no heavy library (torch, chromadb, llama_cpp, ...).
"""

from __future__ import annotations

from llamafarm_core.bundled import GEMMA_NAMES, MINILM_NAMES, gemma_gguf_path, minilm_path
from llamafarm_core.chat.prompt import render_plain, stop_sequences
from llamafarm_core.chat.trim import AnswerTrimmer
from llamafarm_core.components.base import Component, ConfigT, PluginConfig
from llamafarm_core.components.embedder import Embedder, EmbedderConfig
from llamafarm_core.components.extractor import Extractor
from llamafarm_core.components.parser import Parser, ParserConfig
from llamafarm_core.components.provider import ModelProvider
from llamafarm_core.components.retrieval import HybridAlphaMode, RetrievalStrategy
from llamafarm_core.components.store import VectorStore
from llamafarm_core.config.envsubst import expand, expand_str
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.documents import PAGE, Chunk, ParseResult, SourceFile
from llamafarm_core.egress import may_send_env_key
from llamafarm_core.errors import (
    BadRequest,
    Busy,
    ComponentUnavailable,
    Conflict,
    LlamaFarmError,
    ParseFailed,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from llamafarm_core.gc_tuning import exempt_from_gc
from llamafarm_core.ingest.chunking import (
    TextChunk,
    chunk_rows,
    chunk_text,
    header_limit,
    pack,
    resolve_strategy,
    segments,
    validate_strategy,
)
from llamafarm_core.ingest.selection import EXTENSION_PARSERS, base_name, builtin_parser_type, extension
from llamafarm_core.ingest.text_decoding import DecodedText, canonical_encoding, decode_text
from llamafarm_core.ingest.text_units import (
    CODE_LEVELS,
    Heading,
    markdown_headings,
    normalize_text,
    split_to_fit,
    strip_trailing_space,
    trim,
)
from llamafarm_core.lexical.analyzer import STOPWORDS
from llamafarm_core.llm.types import (
    ChatMessage,
    Completion,
    CompletionRequest,
    Role,
    StreamDelta,
    ToolCall,
    Usage,
)
from llamafarm_core.plugins.hookspecs import hookimpl
from llamafarm_core.retrieval.context import RetrievalContext
from llamafarm_core.retrieval.filters import matches, parse_filters
from llamafarm_core.retrieval.request import RetrievalRequest
from llamafarm_core.retrieval.scoring import (
    RRF_K,
    best_of,
    canonical_metric,
    clamp01,
    min_max,
    ranked,
    reciprocal_rank,
    weighted_mean,
    with_score,
)
from llamafarm_core.vectors import (
    ChunkRecord,
    FilterCondition,
    FilterOp,
    Scalar,
    ScoredId,
    SearchHit,
    flatten_metadata,
)

__all__ = [
    # registration
    "hookimpl",
    # components and their configs
    "Component",
    "ConfigT",
    "PluginConfig",
    "Parser",
    "ParserConfig",
    "Extractor",
    "Embedder",
    "EmbedderConfig",
    "VectorStore",
    "RetrievalStrategy",
    "HybridAlphaMode",
    "ModelProvider",
    # documents, vectors, retrieval and chat types
    "PAGE",
    "Chunk",
    "ParseResult",
    "SourceFile",
    "ChunkRecord",
    "FilterCondition",
    "FilterOp",
    "Scalar",
    "SearchHit",
    "ScoredId",
    "RetrievalContext",
    "RetrievalRequest",
    "ChatMessage",
    "Completion",
    "CompletionRequest",
    "Role",
    "StreamDelta",
    "ToolCall",
    "Usage",
    "RuntimeModel",
    # errors a component raises
    "BadRequest",
    "Busy",
    "ComponentUnavailable",
    "Conflict",
    "LlamaFarmError",
    "ParseFailed",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
    # config values and egress
    "expand",
    "expand_str",
    "may_send_env_key",
    # parsing: file selection, decoding, text units, chunking
    "EXTENSION_PARSERS",
    "base_name",
    "builtin_parser_type",
    "extension",
    "DecodedText",
    "canonical_encoding",
    "decode_text",
    "CODE_LEVELS",
    "Heading",
    "markdown_headings",
    "normalize_text",
    "split_to_fit",
    "strip_trailing_space",
    "trim",
    "TextChunk",
    "chunk_rows",
    "chunk_text",
    "header_limit",
    "pack",
    "resolve_strategy",
    "segments",
    "validate_strategy",
    # retrieval: scores, filters, stopwords
    "RRF_K",
    "best_of",
    "canonical_metric",
    "clamp01",
    "min_max",
    "ranked",
    "reciprocal_rank",
    "weighted_mean",
    "with_score",
    "matches",
    "parse_filters",
    "flatten_metadata",
    "STOPWORDS",
    # chat providers: prompt rendering and answer trimming
    "render_plain",
    "stop_sequences",
    "AnswerTrimmer",
    # the bundled models; loading for good
    "GEMMA_NAMES",
    "MINILM_NAMES",
    "gemma_gguf_path",
    "minilm_path",
    "exempt_from_gc",
]
