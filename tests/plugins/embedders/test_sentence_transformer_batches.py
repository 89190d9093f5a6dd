"""The bundled embedder batches a call by word-piece length and gives vectors back in the
caller's order."""

from __future__ import annotations

import numpy as np
import pytest
from llamafarm_embedders.sentence_transformer import (
    SentenceTransformerConfig,
    SentenceTransformerEmbedder,
    token_order,
)

pytestmark = pytest.mark.slow

TEXTS = [
    "A long sentence about boundary layers on a swept wing at supersonic speed " * 6,
    "Drag.",
    "Heat transfer in laminar flow over a flat plate.",
    "x" * 40,
    "Shock waves.",
]


def test_batches_follow_word_pieces_and_vectors_keep_the_callers_order() -> None:
    small = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=2, precision="float32"))
    model = small._model().model
    order = token_order(model, TEXTS)
    pieces = [len(model.tokenizer(t)["input_ids"]) for t in TEXTS]
    assert [pieces[i] for i in order] == sorted(pieces) and sorted(order) == list(range(len(TEXTS)))

    batched = np.array(small.embed(TEXTS))
    one_by_one = np.array([small.embed([t])[0] for t in TEXTS])
    assert batched.shape == (len(TEXTS), 384)
    assert np.abs(batched - one_by_one).max() < 1e-4
