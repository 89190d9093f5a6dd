"""bfloat16 matrix products with weights laid out once for oneDNN (``precision: bfloat16``
on a CPU, which ``fast`` picks where the CPU has AMX).

Given a plain bfloat16 weight matrix, ``torch.nn.functional.linear`` has oneDNN reorder it
into its blocked layout on every call: for a small input (a query's ~24 word pieces) that
copy costs as much as the product. :func:`pack_linears` lays every Linear weight out once,
at load (``torch.ops.mkldnn._reorder_linear_weight``, the op torch's own compiler packs CPU
linear layers with), and runs the product on it (``torch.ops.mkldnn._linear_pointwise``).
With one torch thread, as encode lanes run, the results are bit-identical (tested from 1
to 5,000 rows, and the bundled model's vectors); with more, oneDNN may split a sum
differently from the plain product (the last bit of some values). Measured on an Intel Xeon with
AMX, one torch thread: the model's 384 -> 1,536 layer over 24 rows 104 -> 54 us, over 4,000
rows 4.16 -> 3.72 ms; 700 Cranfield abstracts through the embedder (two lanes) 6.00 ->
5.51 s; one query 11.7 -> 9.5 ms.

These ops are torch's private ones: before a model uses them, each packed layer is checked
against ``linear`` on probe rows (equal to bfloat16's precision: a wrong layout gives other
numbers altogether), and any error or difference leaves the model as it was (logged),
never an error.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
PACK_ROWS = 4096  # the rows oneDNN is told to expect: a CPU batch's 16 texts of 256 word pieces
PROBE_ROWS = (1, 24, 300)
TOLERANCE = 1 / 64  # bfloat16 keeps 8 bits of mantissa: a rounding apart is 1/128 relative


def pack_linears(model: Any) -> int:
    """Replace every bfloat16 ``nn.Linear`` in ``model`` by a packed one; returns how many
    (0, and the model unchanged, where the packed product fails or differs)."""
    import torch

    found = [
        (parent, name, child)
        for parent in model.modules()
        for name, child in parent.named_children()
        if isinstance(child, torch.nn.Linear) and child.weight.dtype == torch.bfloat16
    ]
    try:
        packed = [(parent, name, _packed(torch, child)) for parent, name, child in found]
    except Exception as err:  # a torch without these ops, or one where they differ
        log.info("bfloat16 weights not packed (%s: %s); plain products", type(err).__name__, err)
        return 0
    for parent, name, layer in packed:
        setattr(parent, name, layer)
    return len(packed)


def _packed(torch: Any, linear: Any) -> Any:
    class PackedLinear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.in_features, self.out_features = linear.in_features, linear.out_features
            self.weight = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), PACK_ROWS)
            self.bias = None if linear.bias is None else linear.bias.detach()

        def forward(self, x: Any) -> Any:
            return torch.ops.mkldnn._linear_pointwise(
                x.to(torch.bfloat16), self.weight, self.bias, "none", [], ""
            )

    layer = PackedLinear()
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for rows in PROBE_ROWS:
            probe = torch.randn(rows, linear.in_features, generator=generator).to(torch.bfloat16)
            expected = torch.nn.functional.linear(probe, linear.weight, linear.bias)
            if not torch.allclose(layer(probe).float(), expected.float(), rtol=TOLERANCE, atol=TOLERANCE):
                raise ValueError(f"the packed product differs from linear over {rows} rows")
    return layer
