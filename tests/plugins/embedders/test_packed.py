"""bfloat16 Linear layers with their weights laid out once (packed.py): the same numbers as
``linear``, and the model left as it was where the packed product can't be trusted."""

from __future__ import annotations

import logging
from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from llamafarm_embedders import model_cache
from llamafarm_embedders.packed import pack_linears
from llamafarm_embedders.precision import encode_batch

from llamafarm_core.bundled import minilm_path


@cache
def _packing_unavailable() -> str | None:
    """Why oneDNN can't pack bfloat16 weights on this CPU (its bfloat16 path needs AVX-512
    BW/VL/DQ), or None when it can."""
    try:
        torch.ops.mkldnn._reorder_linear_weight(torch.ones(4, 4, dtype=torch.bfloat16), 4)
    except Exception as err:
        return f"{type(err).__name__}: {err}"[:200]
    return None


needs_packing = pytest.mark.skipif(
    _packing_unavailable() is not None,
    reason=f"this CPU can't pack bfloat16 weights: {_packing_unavailable()}",
)
TEXTS = ["drag", "Heat transfer in laminar flow over a flat plate at supersonic speed. " * 6]


def small_model() -> torch.nn.Sequential:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU(), torch.nn.Linear(64, 16, bias=False))
    model[0].to(torch.bfloat16)
    model[2].to(torch.bfloat16)
    return model


def linear_ops() -> SimpleNamespace:
    """Stand-ins for oneDNN's packing ops that any CPU runs: the weight kept as it is, the
    product done by ``linear`` (so what is tested is pack_linears' own checks)."""
    return SimpleNamespace(
        _reorder_linear_weight=lambda weight, rows: weight,
        _linear_pointwise=lambda x, weight, bias, *_: torch.nn.functional.linear(x, weight, bias),
    )


@needs_packing
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
    monkeypatch.setattr(torch.ops, "mkldnn", linear_ops())
    monkeypatch.setattr(torch, "allclose", lambda *args, **kwargs: False)
    assert pack_linears(model) == 0
    assert isinstance(model[0], torch.nn.Linear) and isinstance(model[2], torch.nn.Linear)
    assert "differs from linear over 1 rows" in caplog.text


def test_a_cpu_that_cannot_pack_keeps_plain_products_with_the_reason_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What oneDNN does on a CPU without AVX-512 (an AVX2-only EPYC, measured): the reorder
    raises. The model stays as it was and computes the same numbers."""
    caplog.set_level(logging.INFO, logger="llamafarm_embedders.packed")
    model = small_model()
    x = torch.randn(5, 32).to(torch.bfloat16)
    with torch.inference_mode():
        want = model(x)

    def refuse(weight: torch.Tensor, rows: int) -> torch.Tensor:
        raise RuntimeError("mkldnn_reorder_linear_weight: bf16 path needs the cpu support avx512bw")

    monkeypatch.setattr(torch.ops, "mkldnn", SimpleNamespace(_reorder_linear_weight=refuse))
    assert pack_linears(model) == 0
    assert [type(m).__name__ for m in model] == ["Linear", "GELU", "Linear"]
    assert "not packed (RuntimeError: mkldnn_reorder_linear_weight" in caplog.text
    with torch.inference_mode():
        assert torch.equal(model(x), want)


def test_packing_with_trusted_ops_replaces_every_bfloat16_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    model = small_model()
    x = torch.randn(3, 11, 32).to(torch.bfloat16)
    with torch.inference_mode():
        want = model(x)
    monkeypatch.setattr(torch.ops, "mkldnn", linear_ops())
    assert pack_linears(model) == 2
    assert [type(m).__name__ for m in model] == ["PackedLinear", "GELU", "PackedLinear"]
    with torch.inference_mode():
        assert torch.equal(model(x), want)


@needs_packing
@pytest.mark.usefixtures("one_torch_thread")
def test_the_bundled_model_in_bfloat16_gives_the_same_vectors_packed(monkeypatch: pytest.MonkeyPatch) -> None:
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
