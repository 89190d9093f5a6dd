"""Embedding the chunks of many files at once, in batches of similar length.

Texts of one batch are padded to the longest one, so batching in document order wastes
work on padding; sorting all chunks of a group of files by length first measured ~25% more
throughput on Cranfield. Failures are contained: an error that says the embedder itself is
unusable (unreachable, wrong model, bad config) fails every remaining file at once; any
other error is retried file by file, so only the file that causes it fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from llamafarm_core.errors import (
    BadRequest,
    ComponentUnavailable,
    LlamaFarmError,
    ServiceUnavailable,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from llamafarm_core.secrets import redact

EmbedFn = Callable[[Sequence[str]], list[list[float]]]

# Errors after which no further call can succeed.
FATAL_ERRORS: tuple[type[Exception], ...] = (
    BadRequest,
    ComponentUnavailable,
    ServiceUnavailable,
    UpstreamTimeout,
    UpstreamUnreachable,
)


class EmbedderFailed(Exception):
    """The embedder is unusable; ``reason`` applies to every file not embedded yet."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe(err: BaseException) -> str:
    if isinstance(err, LlamaFarmError):
        return err.message
    return redact(f"{type(err).__name__}: {err}") if str(err) else type(err).__name__


@dataclass
class EmbedOutcome:
    """Vectors per file (in chunk order) and the files that failed, with reasons."""

    vectors: dict[int, list[list[float]]] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    dimension: int | None = None


def embed_files(texts_per_file: Sequence[Sequence[str]], embed: EmbedFn, batch_size: int) -> EmbedOutcome:
    """Embed every file's texts; files are identified by their position in the input.

    Raises EmbedderFailed when the embedder is unusable (see the module docstring).
    """
    items = [(f, c, text) for f, texts in enumerate(texts_per_file) for c, text in enumerate(texts)]
    items.sort(key=lambda item: len(item[2]))
    slots: dict[int, list[list[float] | None]] = {f: [None] * len(t) for f, t in enumerate(texts_per_file)}
    outcome = EmbedOutcome()
    batch_size = max(1, batch_size)
    for start in range(0, len(items), batch_size):
        batch = [item for item in items[start : start + batch_size] if item[0] not in outcome.failed]
        if not batch:
            continue
        try:
            vectors = _checked(embed, [text for _, _, text in batch], outcome)
        except FATAL_ERRORS as err:
            raise EmbedderFailed(describe(err)) from err
        except Exception as err:
            _isolate(batch, embed, outcome, slots, err)
            continue
        for (f, c, _), vector in zip(batch, vectors, strict=True):
            slots[f][c] = vector
    for f, maybe in slots.items():
        if f not in outcome.failed:
            outcome.vectors[f] = [v for v in maybe if v is not None]
    return outcome


def _checked(embed: EmbedFn, texts: list[str], outcome: EmbedOutcome) -> list[list[float]]:
    vectors = embed(texts)
    if len(vectors) != len(texts):
        raise ComponentUnavailable(f"the embedder returned {len(vectors)} vectors for {len(texts)} texts")
    for vector in vectors:
        if outcome.dimension is None:
            outcome.dimension = len(vector)
        elif len(vector) != outcome.dimension:
            raise ComponentUnavailable(
                f"the embedder returned vectors of {len(vector)} and {outcome.dimension} dimensions"
            )
    return vectors


def _isolate(
    batch: list[tuple[int, int, str]],
    embed: EmbedFn,
    outcome: EmbedOutcome,
    slots: dict[int, list[list[float] | None]],
    batch_error: Exception,
) -> None:
    """Retry a failed batch file by file. When the first two retries fail exactly like the
    batch did, the embedder is broken rather than one file: give up on everything."""
    by_file: dict[int, list[tuple[int, str]]] = {}
    for f, c, text in batch:
        by_file.setdefault(f, []).append((c, text))
    same_failures = 0
    for attempt, (f, entries) in enumerate(by_file.items()):
        try:
            vectors = _checked(embed, [text for _, text in entries], outcome)
        except FATAL_ERRORS as err:
            raise EmbedderFailed(describe(err)) from err
        except Exception as err:
            if attempt == same_failures and describe(err) == describe(batch_error):
                same_failures += 1
                if same_failures >= 2:
                    raise EmbedderFailed(describe(err)) from err
            outcome.failed[f] = f"embedding failed: {describe(err)}"
            continue
        for (c, _), vector in zip(entries, vectors, strict=True):
            slots[f][c] = vector
