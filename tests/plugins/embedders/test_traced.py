"""The int8 model's transformer runs as a TorchScript trace, with the eager model's vectors;
a trace that can't be made, or computes anything else, leaves the model eager."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
import torch
from llamafarm_embedders import traced
from llamafarm_embedders.int8 import quantize_linears, unavailable
from llamafarm_embedders.precision import encode_batch
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder
from llamafarm_embedders.traced import trace_transformer

TEXTS = [
    "Drag.",
    "Heat transfer in laminar flow over a flat plate at supersonic speed.",
    "An experimental study of boundary layer transition on a swept wing, with pressure "
    "distributions measured at three Mach numbers and compared with linear theory. " * 2,
]
pytestmark = pytest.mark.slow


def fresh_model(int8: bool = False) -> Any:
    from sentence_transformers import SentenceTransformer

    from llamafarm_core.bundled import minilm_path

    model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    if int8:
        quantize_linears(model)
    return model


def is_traced(model: Any) -> bool:
    return "forward" in vars(model[0])  # the trace is an instance attribute


@pytest.mark.skipif(unavailable() is not None, reason=f"this CPU can't run int8: {unavailable()}")
def test_the_int8_model_is_traced_and_keeps_the_eager_vectors() -> None:
    loaded = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="int8"))._model()
    eager = fresh_model(int8=True)
    assert is_traced(loaded.model) and not is_traced(eager)
    for text in TEXTS:  # one text per pass, as the embedder runs them
        np.testing.assert_array_equal(
            encode_batch(loaded.model, [text], True, 1),
            encode_batch(eager, [text], True, 1),
        )


def test_a_trace_follows_the_attention_mask_of_padded_batches() -> None:
    """The trace is made from a padded example: a batch with padding (which an all-ones
    example would have frozen out of the graph) still gets the eager model's vectors."""
    model, eager = fresh_model(), fresh_model()
    assert trace_transformer(model) and is_traced(model)
    with torch.inference_mode():
        got = model(model.preprocess(TEXTS))["sentence_embedding"]
        want = eager(eager.preprocess(TEXTS))["sentence_embedding"]
    assert torch.allclose(got, want, rtol=0, atol=1e-6)


def test_float32_and_bfloat16_models_stay_eager() -> None:
    for precision in ("float32", "bfloat16"):
        model = SentenceTransformerEmbedder(SentenceTransformerConfig(precision=precision))._model().model
        assert not is_traced(model)


def test_a_trace_with_other_vectors_leaves_the_model_eager(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(traced, "_same_vectors", lambda *_: False)
    model = fresh_model()
    with caplog.at_level(logging.WARNING, logger=traced.__name__):
        assert not trace_transformer(model)
    assert not is_traced(model)
    assert "computed other vectors" in caplog.text


def test_a_model_the_tracer_cannot_follow_stays_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise RuntimeError("unsupported operation")

    monkeypatch.setattr(torch.jit, "trace", refuse)
    model = fresh_model()
    assert not trace_transformer(model) and not is_traced(model)
    vectors = encode_batch(model, TEXTS[:1], True)  # and it still embeds
    assert vectors.shape == (1, 384)


def test_the_probe_catches_a_trace_that_differs() -> None:
    model = fresh_model()

    def wrong(features: dict[str, Any], **_: Any) -> dict[str, Any]:
        features["token_embeddings"] = torch.zeros(*features["input_ids"].shape, 384)
        return features

    assert not traced._same_vectors(model, model[0], wrong)
    assert not is_traced(model)  # the probe put the module's own forward back
