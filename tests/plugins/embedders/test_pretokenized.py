"""A call tokenized once gives every batch exactly the features the model's own
``preprocess`` gives that batch, and the embedder's vectors don't change."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from llamafarm_embedders import pretokenized, sentence_transformer
from llamafarm_embedders.pretokenized import Pretokenized
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder

pytestmark = pytest.mark.slow

WORDS = [
    "boundary",
    "layer",
    "shock",
    "wave",
    "swept",
    "wing",
    "laminar",
    "heat",
    "transfer",
    "supersonic",
    "flat",
    "plate",
    "drag",
    "lift",
]


def _texts(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return ["  " + " ".join(rng.choices(WORDS, k=rng.randint(1, 400))) for _ in range(count)]


@pytest.fixture(scope="module")
def model():
    return SentenceTransformerEmbedder(SentenceTransformerConfig(precision="float32"))._model().model


def test_batches_across_slices_get_what_preprocess_gives(model, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pretokenized, "SLICE", 7)  # rows of one batch come from slices of other widths
    texts = _texts(40)
    tokenized = Pretokenized.of(model, texts)
    assert tokenized is not None and len(tokenized.slices) == 6
    assert [tokenized.lengths[i] for i in tokenized.order()] == sorted(tokenized.lengths)
    assert max(tokenized.lengths) == model.max_seq_length  # the longest are cut at the window
    rng = random.Random(5)
    for batch in [[0], [39, 0, 12], rng.sample(range(40), 16), tokenized.order()[:9]]:
        mine = tokenized.features(batch)
        theirs = model.preprocess([texts[i] for i in batch])
        assert mine.keys() == theirs.keys()
        for key, value in theirs.items():
            if isinstance(value, torch.Tensor):
                assert mine[key].dtype == value.dtype and torch.equal(mine[key], value), key
            else:
                assert mine[key] == value


def test_a_tokenizer_padding_on_the_left_keeps_the_per_batch_path(
    model, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model.tokenizer, "padding_side", "left")
    assert Pretokenized.of(model, _texts(3)) is None


def test_embedder_vectors_are_those_of_batches_tokenized_on_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=4, precision="float32"))
    texts = _texts(13, seed=8)
    once = np.array(embedder.embed(texts))
    monkeypatch.setattr(sentence_transformer.Pretokenized, "of", classmethod(lambda cls, model, texts: None))
    per_batch = np.array(embedder.embed(texts))
    assert once.shape == (13, 384)
    assert np.array_equal(once, per_batch)
