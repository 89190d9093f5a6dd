"""Helpers shared by the remote embedders: batching and checking what a server sent back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from llamafarm_core.plugin_api import ComponentUnavailable, UpstreamError


def batched(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield [str(t) for t in texts[start : start + size]]


def check_vectors(
    label: str, vectors: Sequence[Sequence[float]], expected: int, dimension: int | None
) -> list[list[float]]:
    """One vector per input, all of one size, matching the configured ``dimension`` if any."""
    if len(vectors) != expected:
        raise UpstreamError(f"{label}: asked for {expected} embeddings, got {len(vectors)}")
    out = [[float(x) for x in v] for v in vectors]
    sizes = {len(v) for v in out}
    if len(sizes) > 1:
        raise UpstreamError(f"{label}: the server returned vectors of different sizes {sorted(sizes)}")
    if out and dimension is not None and len(out[0]) != dimension:
        raise ComponentUnavailable(
            f"{label}: the model returns {len(out[0])}-dimensional vectors but the config says "
            f"dimension: {dimension}; fix dimension (or remove it)"
        )
    return out


NO_ANSWER = "no HTTP answer: nothing listens there, or not the expected server"


def connection_reason(err: BaseException) -> str:
    """The reason for a transport failure: one wording for every kind (refused, reset,
    not HTTP), so a config pointing at host:port cannot tell open from closed ports."""
    return NO_ANSWER
