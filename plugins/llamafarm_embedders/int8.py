"""int8 matrix products for an embedder on a CPU (``precision: int8``).

Every ``Linear`` layer of the model is replaced by :class:`Int8Linear`: weights quantized
once, at load, to int8 with a scale per output channel; activations quantized on the fly,
inside the same kernel (fbgemm's ``quantized::linear_dynamic``), with one scale for the
whole input tensor, then the int32 product is rescaled and the bias added, in float32.
Embeddings, LayerNorm, attention's softmax and the pooling stay float32.

Two choices keep the vectors close to float32 and independent of other texts:

- **One text per forward pass** (``batch_size_for`` gives 1): the activation scale is the
  text's own. Fed batches of 16, a text's vector depended on its batch-mates (cosine 0.973
  alone against batched): a store would hold vectors that depend on upload order.
- **8-bit activations** (``reduce_range=False``). torch's own ``quantize_dynamic`` modules
  use 7 bits (``reduce_range=True``): without VNNI, fbgemm's int8 kernel (AVX2, or AVX-512
  without VNNI) sums pairs of u8 x s8 products in int16, and 8-bit activations times 8-bit
  weights (255 x 127 x 2 = 64,770) saturate it. With VNNI (``avx512_vnni``) the sums are
  int32, and the 8th bit moved Cranfield's document vectors from 0.982 to 0.995 mean cosine
  to float32 (worst 0.932 -> 0.981). Where the CPU lacks VNNI, the *weights* give up the bit
  instead (:func:`weight_levels`: -63..63, so a pair sums to at most 255 x 63 x 2 = 32,130,
  which fits int16): weights have a scale per output channel, activations one per text,
  so the activations are where the 8th bit counts. One 384 -> 1,536 product of 200 rows
  with an outlier input channel (as BERT's activations have), on an AMD EPYC with AVX2
  only: RMS error to float32 0.072 with 7-bit weights against 0.144 with torch's 7-bit
  activations (and 0.099 for 8 x 8 bits, saturating), 1.52 against 2.84 ms in float32.
  :func:`unavailable` runs one product built to saturate, so a kernel that still would
  turns int8 off instead of storing wrong vectors.

Measured on an Intel Xeon with AVX512-VNNI (``bench/int8_study.py``: one torch thread, 320
Cranfield abstracts, the transformer traced as ``traced.py`` does): 1.95x faster than
float32 batches of 16; Cranfield nDCG@10 of dense retrieval 0.3725 against 0.3736, and
0.3728 with float32 queries against int8 documents, so a database filled in one precision
is searched in the other (``model_id`` does not change).

torch marks its quantized tensor types deprecated (a warning, silenced here; the ops
themselves still ship in the pinned torch). If a torch without them is installed,
:func:`unavailable` says so and the embedder falls back to float32: never an error.
"""

from __future__ import annotations

import platform
import warnings
from functools import cache
from typing import Any

from llamafarm_embedders.cpu_flags import cpu_flags

VNNI_FLAG = "avx512_vnni"
AVX2_FLAG = "avx2"  # fbgemm's int8 kernels need at least AVX2


def weight_levels() -> int:
    """The largest int8 weight: 127 where the CPU sums the products in int32 (VNNI), 63 where
    fbgemm's kernel sums pairs of them in int16 (module doc)."""
    return 127 if VNNI_FLAG in cpu_flags() else 63


@cache
def unavailable() -> str | None:
    """Why int8 can't run here (a sentence for the log), or None when it can."""
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return f"int8 needs an x86-64 CPU with AVX2 (this is {platform.machine()})"
    if AVX2_FLAG not in cpu_flags():
        return "int8 needs a CPU with AVX2 (avx2 is not in /proc/cpuinfo)"
    import torch

    if "fbgemm" not in getattr(torch.backends.quantized, "supported_engines", []):
        return "int8 needs torch's fbgemm quantized kernels, which this torch build lacks"
    try:  # the whole path once: a torch without these ops fails here
        error = saturation_error()
    except Exception as err:
        return f"int8 needs torch's quantized linear ops, which failed here ({type(err).__name__}: {err})"
    if error > 0.01:
        return f"int8's kernel is off by {error:.0%} on a product that could saturate it on this CPU"
    return None


def saturation_error() -> float:
    """The relative error of :func:`int8_linear` on one product made to saturate an int16
    sum of pairs: every input at its largest, every weight too, all of one sign. Exact
    arithmetic gives ~0 (both sides are exactly representable); a saturating kernel is off
    by a third or more."""
    import torch

    linear = torch.nn.Linear(64, 4, bias=False)
    with torch.no_grad():
        linear.weight.fill_(1.0)
    inputs = torch.cat([torch.full((1, 64), 1.0), torch.zeros(1, 64)])  # 0 .. 1 -> u8 0 .. 255
    with torch.inference_mode():
        got = int8_linear(linear)(inputs)[0]
    return float((got - 64.0).abs().max() / 64.0)


def int8_linear(linear: Any) -> Any:
    """An ``nn.Module`` computing ``linear`` with int8 weights (a scale per output channel)
    and int8 activations (one scale per call), in one fbgemm kernel."""
    import torch

    class Int8Linear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            scale = (weight.abs().amax(1).clamp(min=1e-8) / weight_levels()).double()
            zeros = torch.zeros(weight.shape[0], dtype=torch.long)
            bias = linear.bias.detach().float() if linear.bias is not None else None
            with warnings.catch_warnings():  # "quantized tensor types are deprecated"
                warnings.simplefilter("ignore", UserWarning)
                packed_weight = torch.quantize_per_channel(weight, scale, zeros, 0, torch.qint8)
                self.packed = torch.ops.quantized.linear_prepack(packed_weight, bias)
            self.in_features, self.out_features = linear.in_features, linear.out_features

        def forward(self, x: Any) -> Any:
            return torch.ops.quantized.linear_dynamic(x.float(), self.packed, reduce_range=False)

        def extra_repr(self) -> str:
            return f"in_features={self.in_features}, out_features={self.out_features}, int8"

    return Int8Linear()


def quantize_linears(model: Any) -> int:
    """Replace every ``nn.Linear`` in ``model`` by its int8 twin; returns how many."""
    import torch

    replaced = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(parent, name, int8_linear(child))
                replaced += 1
    return replaced
