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
  use 7 bits (``reduce_range=True``), which is needed only where the CPU lacks VNNI: the
  AVX2 kernel sums pairs of u8 x s8 products in int16 and would saturate with 8 bits. With
  VNNI (``avx512_vnni``, which fbgemm's int8 kernels use) the sums are int32, and the 8th bit
  moved Cranfield's document vectors from 0.982 to 0.995 mean cosine to float32 (worst 0.932
  -> 0.981). So int8 runs only where ``avx512_vnni`` is in the CPU flags; elsewhere
  :func:`unavailable` says why and the embedder computes in float32.

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


@cache
def unavailable() -> str | None:
    """Why int8 can't run here (a sentence for the log), or None when it can."""
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return f"int8 needs an x86-64 CPU with AVX512-VNNI (this is {platform.machine()})"
    if VNNI_FLAG not in cpu_flags():
        return "int8 needs a CPU with AVX512-VNNI (avx512_vnni is not in /proc/cpuinfo)"
    import torch

    if "fbgemm" not in getattr(torch.backends.quantized, "supported_engines", []):
        return "int8 needs torch's fbgemm quantized kernels, which this torch build lacks"
    try:  # the whole path once, on a tiny layer: a torch without these ops fails here
        linear = torch.nn.Linear(8, 4)
        with torch.inference_mode():
            int8_linear(linear)(torch.ones(2, 8))
    except Exception as err:
        return f"int8 needs torch's quantized linear ops, which failed here ({type(err).__name__}: {err})"
    return None


def int8_linear(linear: Any) -> Any:
    """An ``nn.Module`` computing ``linear`` with int8 weights (a scale per output channel)
    and int8 activations (one scale per call), in one fbgemm kernel."""
    import torch

    class Int8Linear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            scale = (weight.abs().amax(1).clamp(min=1e-8) / 127).double()
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
