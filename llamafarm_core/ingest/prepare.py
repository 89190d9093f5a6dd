"""Step one of processing a file: parse it (trying parser candidates in order), add the
metadata every chunk carries, run the extractors. Nothing here touches a store."""

from __future__ import annotations

from dataclasses import dataclass, field

from llamafarm_core.config.models import ExtractorRef, ParserRef
from llamafarm_core.documents import CHUNK_INDEX, DOCUMENT_ID, FILE_HASH, FILENAME, Chunk, SourceFile
from llamafarm_core.errors import LlamaFarmError
from llamafarm_core.ingest.strategy_components import StrategyComponents
from llamafarm_core.secrets import redact


class PrepareFailed(Exception):
    """The file can't be turned into chunks; ``reason`` is shown to the user."""

    def __init__(self, reason: str, warnings: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.warnings = warnings or []


@dataclass
class PreparedFile:
    """A parsed file with its chunks, ready to embed."""

    source: SourceFile
    parser: str
    chunk_size: int | None
    chunks: list[Chunk]
    extractors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _describe(err: Exception) -> str:
    if isinstance(err, LlamaFarmError):
        return err.message
    return redact(f"{type(err).__name__}: {err}") if str(err) else type(err).__name__


def parse_file(
    source: SourceFile, candidates: list[ParserRef], components: StrategyComponents
) -> PreparedFile:
    """Try each candidate parser in order; the first that yields text wins.

    A parser that raises (ParseFailed or anything else) or finds no text passes the file to
    the next candidate; when none succeeds, PrepareFailed carries every parser's reason.
    """
    reasons: list[str] = []
    warnings: list[str] = []
    for ref in candidates:
        try:
            parser, config_warnings = components.parser(ref)
            result = parser.parse(source)
        except Exception as err:  # one parser's failure (or bug) must not end the batch
            reasons.append(f"{ref.type}: {_describe(err)}")
            continue
        chunks, duplicates = _unique([c for c in result.chunks if c.text and c.text.strip()])
        if not chunks:
            reasons.append(f"{ref.type}: no text content found")
            continue
        warnings.extend(config_warnings)
        warnings.extend(result.warnings)
        if duplicates:
            warnings.append(
                f"{duplicates} chunk(s) repeating an earlier chunk's text word for word were dropped"
            )
        if reasons:
            warnings.append("fell back to " + ref.type + " after: " + "; ".join(reasons))
        return PreparedFile(source, ref.type, parser.config.chunk_size, chunks, [], warnings)
    if len(candidates) == 1:
        raise PrepareFailed(reasons[0], warnings)
    raise PrepareFailed("no parser could read the file: " + " | ".join(reasons), warnings)


def _unique(chunks: list[Chunk]) -> tuple[list[Chunk], int]:
    """Drop chunks whose text repeats an earlier one of the same file. They add nothing to
    retrieval, and many identical vectors degrade HNSW indexes (Chroma then misses other,
    distinct chunks: measured with 118 copies among 129 vectors)."""
    seen: set[str] = set()
    kept: list[Chunk] = []
    for chunk in chunks:
        key = " ".join(chunk.text.split())
        if key not in seen:
            seen.add(key)
            kept.append(chunk)
    return kept, len(chunks) - len(kept)


def stamp(prepared: PreparedFile) -> None:
    """Set the keys every chunk carries: file hash, original name, position, document id."""
    source = prepared.source
    for i, chunk in enumerate(prepared.chunks):
        chunk.metadata[FILE_HASH] = source.file_hash
        chunk.metadata[FILENAME] = source.filename
        chunk.metadata[CHUNK_INDEX] = i
        chunk.metadata[DOCUMENT_ID] = source.file_hash


def run_extractors(prepared: PreparedFile, refs: list[ExtractorRef], components: StrategyComponents) -> None:
    """Run each extractor on the file's chunks. One that fails only fails itself: its
    changes are undone, a warning is recorded and the chunks are kept."""
    for ref in refs:
        saved = [dict(c.metadata) for c in prepared.chunks]
        try:
            extractor, config_warnings = components.extractor(ref)
            extractor.extract(prepared.chunks, prepared.source)
        except Exception as err:
            for chunk, metadata in zip(prepared.chunks, saved, strict=True):
                chunk.metadata = metadata
            prepared.warnings.append(f"extractor {ref.type} failed and was skipped: {_describe(err)}")
            continue
        prepared.extractors.append(ref.type)
        prepared.warnings.extend(w for w in config_warnings if w not in prepared.warnings)
    stamp(prepared)  # extractors may not overwrite the identity keys
