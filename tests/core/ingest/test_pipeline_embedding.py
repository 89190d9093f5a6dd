"""Cross-file embedding: length-sorted batches, failures contained to their file.

The embed function is the unit's input (any callable of texts → vectors); here it is plain
Python so the batching and failure rules can be checked exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from llamafarm_core.errors import ComponentUnavailable, UpstreamError
from llamafarm_core.ingest.embedding import EmbedderFailed, embed_files


def vec(text: str) -> list[float]:
    return [float(len(text)), float(sum(map(ord, text)) % 97)]


class Recorder:
    def __init__(self, bad: str | None = None, error: Exception | None = None) -> None:
        self.calls: list[list[str]] = []
        self.bad = bad
        self.error = error

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        if self.error is not None:
            raise self.error
        if self.bad is not None and self.bad in texts:
            raise UpstreamError(f"cannot embed {len(texts)} texts")
        return [vec(t) for t in texts]


def test_batches_across_files_sorted_by_length_and_vectors_in_order() -> None:
    files = [["a" * 50, "b" * 3, "c" * 20], ["d" * 2], ["e" * 40, "f" * 10]]
    embed = Recorder()
    out = embed_files(files, embed, batch_size=2)
    assert [len(c) for c in embed.calls] == [2, 2, 2]
    lengths = [len(t) for call in embed.calls for t in call]
    assert lengths == sorted(lengths)  # grouped by length, across files
    assert out.failed == {} and out.dimension == 2
    for f, texts in enumerate(files):
        assert out.vectors[f] == [vec(t) for t in texts]


def test_one_bad_file_fails_alone() -> None:
    files = [["good one"], ["poison"], ["good two"]]
    embed = Recorder(bad="poison")
    out = embed_files(files, embed, batch_size=8)
    assert set(out.vectors) == {0, 2} and out.vectors[2] == [vec("good two")]
    assert list(out.failed) == [1] and "embedding failed" in out.failed[1]


def test_unusable_embedder_stops_everything() -> None:
    embed = Recorder(error=ComponentUnavailable("embedder at http://127.0.0.1:9 is unreachable"))
    with pytest.raises(EmbedderFailed, match="unreachable"):
        embed_files([["x"], ["y"]], embed, batch_size=8)
    assert len(embed.calls) == 1  # no per-file retries against a dead service


def test_same_error_twice_on_retry_means_broken_embedder() -> None:
    embed = Recorder(error=RuntimeError("boom"))
    with pytest.raises(EmbedderFailed, match="boom"):
        embed_files([["x"], ["y"], ["z"]], embed, batch_size=8)
    assert len(embed.calls) == 3  # the batch, then two single-file retries


def test_wrong_vector_count_is_caught() -> None:
    def short(texts: Sequence[str]) -> list[list[float]]:
        return [vec(t) for t in texts][:-1]

    with pytest.raises(EmbedderFailed, match="vectors for"):
        embed_files([["x", "y"]], short, batch_size=8)
