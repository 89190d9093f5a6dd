"""The embedder contract: subclass :class:`EmbedderContract` in a test module.

Provide the fixture ``embedder`` (a ready :class:`~llamafarm_core.components.Embedder`; make
it cheap to reuse, e.g. class- or session-scoped around a loaded model). Use a small
``batch_size`` in its config so that the batching tests cross batch boundaries.

Vectors are compared by cosine similarity, not bit for bit: batching may change the last
digits on some servers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from llamafarm_core.components.embedder import Embedder

TEXTS = [
    "The cat sat on the mat.",
    "Quarterly revenue grew by ten percent.",
    "How do I bake sourdough bread at home?",
    "The stock market fell sharply today.",
    "Photosynthesis turns sunlight into chemical energy.",
]
SIMILAR = ("The cat sat on the mat.", "A cat was sitting on a mat.")
UNRELATED = "Quarterly revenue grew by ten percent."
SAME = 0.999
# a query's vector against the same text's document vector: int8 queries searching bfloat16
# documents (the bundled embedder's ``precision: fast``) agree to ~0.99
QUERY_SAME = 0.98


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def many_texts(n: int) -> list[str]:
    """``n`` distinct texts of varied length (so any length sorting must be undone)."""
    topics = ["rivers", "engines", "poetry", "volcanoes", "chess", "taxes", "orchids", "satellites"]
    return [f"Note {i} about {topics[i % len(topics)]}" + " in some detail" * (i % 4) for i in range(n)]


class EmbedderContract:
    """Behaviour every embedder must have."""

    def batch_size(self, embedder: Embedder) -> int:
        return embedder.config.batch_size

    def test_empty_input_gives_empty_list(self, embedder: Embedder) -> None:
        assert embedder.embed([]) == []

    def test_one_vector_per_text_in_order(self, embedder: Embedder) -> None:
        together = embedder.embed(TEXTS)
        assert len(together) == len(TEXTS)
        for text, vector in zip(TEXTS, together, strict=True):
            [alone] = embedder.embed([text])
            assert cosine(alone, vector) > SAME, text

    def test_order_survives_batches(self, embedder: Embedder) -> None:
        texts = many_texts(2 * self.batch_size(embedder) + 1)
        forward = embedder.embed(texts)
        backward = embedder.embed(texts[::-1])[::-1]
        assert len(forward) == len(texts)
        for i, (a, b) in enumerate(zip(forward, backward, strict=True)):
            assert cosine(a, b) > SAME, i
        # and they really are different vectors: a shuffle would not go unnoticed
        assert cosine(forward[0], forward[1]) < SAME

    def test_dimension_is_consistent(self, embedder: Embedder) -> None:
        dimension = embedder.dimension()
        assert dimension > 0
        vectors = embedder.embed(TEXTS)
        assert {len(v) for v in vectors} == {dimension}
        assert all(isinstance(x, float) and math.isfinite(x) for v in vectors for x in v)

    def test_deterministic(self, embedder: Embedder) -> None:
        first, second = embedder.embed(TEXTS[:3]), embedder.embed(TEXTS[:3])
        for a, b in zip(first, second, strict=True):
            assert cosine(a, b) > SAME
            assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-3

    def test_similar_texts_are_closer_than_unrelated(self, embedder: Embedder) -> None:
        a, b, c = embedder.embed([*SIMILAR, UNRELATED])
        assert cosine(a, b) > cosine(a, c) + 0.05
        assert cosine(a, b) > cosine(b, c) + 0.05

    def test_a_query_vector_searches_the_document_vectors(self, embedder: Embedder) -> None:
        """``embed_query`` may compute differently (``Embedder.embed_query``), but a text asked
        as a query finds itself first among the same texts embedded as documents, and its
        other similarities keep their order."""
        documents = embedder.embed(TEXTS)
        for i, text in enumerate(TEXTS):
            query = embedder.embed_query(text)
            assert len(query) == len(documents[i])
            similarity = [cosine(query, d) for d in documents]
            assert max(range(len(TEXTS)), key=similarity.__getitem__) == i, text
            assert similarity[i] > QUERY_SAME, text
            alike = [cosine(documents[i], d) for d in documents]
            assert sorted(range(len(TEXTS)), key=similarity.__getitem__) == sorted(
                range(len(TEXTS)), key=alike.__getitem__
            ), text

    def test_model_id_is_stable(self, embedder: Embedder) -> None:
        model_id = embedder.model_id
        assert isinstance(model_id, str) and model_id.strip()
        assert embedder.model_id == model_id

    def test_check_passes_when_usable(self, embedder: Embedder) -> None:
        embedder.check()
