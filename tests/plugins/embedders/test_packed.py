"""bfloat16 Linear layers with their weights laid out once (packed.py): the same numbers as
``linear``, and the model left as it was where the packed product can't be trusted."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from llamafarm_embedders import model_cache
from llamafarm_embedders.packed import fused_feed_forwards, pack_linears
from llamafarm_embedders.precision import encode_batch

from llamafarm_core.bundled import minilm_path

TEXTS = ["drag", "Heat transfer in laminar flow over a flat plate at supersonic speed. " * 6]


def small_model() -> torch.nn.Sequential:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU(), torch.nn.Linear(64, 16, bias=False))
    model[0].to(torch.bfloat16)
    model[2].to(torch.bfloat16)
    return model


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """As an encode lane runs: then a packed product is bit-identical to ``linear``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("one_torch_thread")
def test_packed_layers_compute_exactly_what_linear_does() -> None:
    model = small_model()
    inputs = [torch.randn(rows, 32).to(torch.bfloat16) for rows in (1, 7, 300, 5000)] + [
        torch.randn(3, 11, 32).to(torch.bfloat16)  # a batch of texts: rows of word pieces
    ]
    with torch.inference_mode():
        expected = [model(x) for x in inputs]
    assert pack_linears(model) == 2
    assert [type(m).__name__ for m in model] == ["PackedLinear", "GELU", "PackedLinear"]
    with torch.inference_mode():
        for x, want in zip(inputs, expected, strict=True):
            assert torch.equal(model(x), want)


def test_float32_layers_are_left_alone() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(8, 8))
    assert pack_linears(model) == 0
    assert isinstance(model[0], torch.nn.Linear)


def test_a_packed_product_that_differs_leaves_the_model_unpacked(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="llamafarm_embedders.packed")
    model = small_model()
    monkeypatch.setattr(torch, "allclose", lambda *args, **kwargs: False)
    assert pack_linears(model) == 0
    assert isinstance(model[0], torch.nn.Linear) and isinstance(model[2], torch.nn.Linear)
    assert "differs from linear over 1 rows" in caplog.text


@pytest.mark.usefixtures("one_torch_thread")
def test_the_bundled_model_in_bfloat16_gives_the_same_vectors_packed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_cache, "pack_linears", lambda model: pack_linears(model, fuse_gelu=False))
    packed_model = model_cache._load(minilm_path(), "cpu", "bfloat16")
    monkeypatch.setattr(model_cache, "pack_linears", lambda model: 0)
    plain_model = model_cache._load(minilm_path(), "cpu", "bfloat16")
    layers = [type(m).__name__ for m in packed_model.modules()]
    assert layers.count("PackedLinear") == 6 * 6 + 1 and "Linear" not in layers  # 6 per layer, the pooler
    with torch.inference_mode():
        for texts in (TEXTS, TEXTS[:1]):
            a = encode_batch(packed_model, texts, True, 16)
            b = encode_batch(plain_model, texts, True, 16)
            assert np.array_equal(a, b)


class FeedForwardHalf(torch.nn.Module):
    """Shaped like a Hugging Face feed-forward first half: ``act(dense(x))``."""

    def __init__(self, act: torch.nn.Module) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(32, 64).to(torch.bfloat16)
        self.intermediate_act_fn = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.intermediate_act_fn(self.dense(x))


class BertIntermediate(FeedForwardHalf):
    pass


def test_a_feed_forward_product_and_its_gelu_become_one_product() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(BertIntermediate(torch.nn.GELU()), torch.nn.Linear(64, 8).to(torch.bfloat16))
    x = torch.randn(300, 32).to(torch.bfloat16)
    with torch.inference_mode():
        want = model(x).float()
    assert pack_linears(model) == 2  # the fused pair, and the last Linear
    assert [type(m).__name__ for m in model] == ["PackedLinear", "PackedLinear"]
    assert model[0].activation == "gelu"
    with torch.inference_mode():
        got = model(x).float()
    assert torch.allclose(got, want, rtol=1 / 32, atol=1 / 32)
    assert not torch.equal(got, want)  # GELU in float32 before the one rounding: not the same bits


@pytest.mark.parametrize("act", [torch.nn.ReLU(), torch.nn.GELU(approximate="tanh"), torch.nn.SiLU()])
def test_an_activation_other_than_exact_gelu_is_not_fused(
    act: torch.nn.Module, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="llamafarm_embedders.packed")
    torch.manual_seed(0)
    model = torch.nn.Sequential(BertIntermediate(act))
    assert fused_feed_forwards(model) == 0
    assert isinstance(model[0], BertIntermediate)
    assert "not the exact GELU" in caplog.text


def test_only_hugging_face_shaped_intermediates_are_fused() -> None:
    model = torch.nn.Sequential(FeedForwardHalf(torch.nn.GELU()))  # not named ...Intermediate
    assert fused_feed_forwards(model) == 0
    assert isinstance(model[0], FeedForwardHalf)


@pytest.mark.usefixtures("one_torch_thread")
def test_the_bundled_models_fused_vectors_stay_as_close_to_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    fused_model = model_cache._load(minilm_path(), "cpu", "bfloat16")
    monkeypatch.setattr(model_cache, "pack_linears", lambda model: pack_linears(model, fuse_gelu=False))
    unfused_model = model_cache._load(minilm_path(), "cpu", "bfloat16")
    float32_model = model_cache._load(minilm_path(), "cpu", "float32")
    assert sum(getattr(m, "activation", None) == "gelu" for m in fused_model.modules()) == 6
    assert not any(getattr(m, "activation", None) == "gelu" for m in unfused_model.modules())
    texts = TEXTS + ["Boundary layer separation on a swept wing.", "Shock waves in a nozzle " * 20]
    with torch.inference_mode():
        fused = encode_batch(fused_model, texts, True, 16)
        unfused = encode_batch(unfused_model, texts, True, 16)
        exact = encode_batch(float32_model, texts, True, 16, bf16=False)
    cosine = lambda a, b: (a * b).sum(axis=1)  # noqa: E731 (unit vectors)
    assert cosine(fused, unfused).min() > 0.9999
    assert cosine(fused, exact).min() > 0.9999
    assert cosine(fused, exact).mean() >= cosine(unfused, exact).mean() - 1e-5


class ShiftedIntermediate(FeedForwardHalf):
    """Exact GELU, but a forward that is not ``act(dense(x))``: the fused product differs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.intermediate_act_fn(self.dense(x)) + 1


def test_a_module_that_computes_something_else_is_not_fused(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="llamafarm_embedders.packed")
    torch.manual_seed(0)
    model = torch.nn.Sequential(ShiftedIntermediate(torch.nn.GELU()))
    assert pack_linears(model) == 1  # its dense Linear, packed alone
    assert isinstance(model[0], ShiftedIntermediate)
    assert "differs from ShiftedIntermediate" in caplog.text
