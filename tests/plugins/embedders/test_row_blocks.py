"""The feed-forward part of the bundled model's layers runs in blocks of rows on a CPU, with
exactly the vectors of the unblocked model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from llamafarm_embedders.precision import encode_batch
from llamafarm_embedders.row_blocks import FFN_ROWS, block_feed_forward
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder

LONG = "Pressure distributions measured on a swept wing in the transonic regime, with shock waves. " * 14
SHORT = ["Heat transfer in laminar flow.", "Drag."]


def calls_per_layer(model: object, texts: list[str]) -> tuple[np.ndarray, int]:
    """The batch's vectors, and how often the first layer's feed-forward input projection ran."""
    layer = model[0].auto_model.encoder.layer[0]  # type: ignore[index]
    seen: list[int] = []
    hook = layer.intermediate.register_forward_hook(lambda *_: seen.append(1))
    try:
        vectors = encode_batch(model, texts, normalize=True)
    finally:
        hook.remove()
    return vectors, len(seen)


@pytest.mark.slow
def test_a_long_batch_runs_in_blocks_and_gets_the_unblocked_vectors() -> None:
    from sentence_transformers import SentenceTransformer

    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="float32"))
    blocked = embedder._model().model  # the product's CPU model: blocked at load
    plain = SentenceTransformer(str(embedder.model_path()), device="cpu", local_files_only=True)
    texts = [LONG + str(i) for i in range(2 * FFN_ROWS // 256)]  # 256 word pieces each: 2 blocks

    ours, blocks = calls_per_layer(blocked, texts)
    theirs, whole = calls_per_layer(plain, texts)
    assert (blocks, whole) == (2, 1)
    np.testing.assert_array_equal(ours, theirs)

    ours_short, blocks_short = calls_per_layer(blocked, SHORT)
    assert blocks_short == 1  # a batch within one block runs as it is
    np.testing.assert_array_equal(ours_short, calls_per_layer(plain, SHORT)[0])


def test_a_model_without_a_feed_forward_method_is_left_alone() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.GELU())
    before = [type(m) for m in model.modules()]
    assert block_feed_forward(model) == 0
    assert [type(m) for m in model.modules()] == before


def test_a_layer_already_chunked_by_its_config_keeps_its_own_chunking() -> None:
    class Layer(torch.nn.Module):
        chunk_size_feed_forward = 64

        def feed_forward_chunk(self, hidden: torch.Tensor) -> torch.Tensor:
            return hidden

    layer = Layer()
    assert block_feed_forward(layer) == 0
    assert "feed_forward_chunk" not in vars(layer)
