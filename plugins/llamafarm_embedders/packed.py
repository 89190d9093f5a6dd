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

A feed-forward part's first product and its GELU are one packed product, GELU applied as
the product writes its result (:func:`fused_feed_forwards`): those vectors are not
bit-identical to the unfused ones (GELU is applied before the rounding to bfloat16, not
after) but as close to float32's (cosine with float32's 0.99998 on Cranfield chunks, the
same as unfused), and a forward pass is ~9 % shorter.

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


def pack_linears(model: Any, *, fuse_gelu: bool = True) -> int:
    """Replace every bfloat16 ``nn.Linear`` in ``model`` by a packed one; returns how many
    (0, and the model unchanged, where the packed product fails or differs).

    ``fuse_gelu``: first, a feed-forward part's first product and its exact GELU (a Hugging
    Face ``...Intermediate`` module: ``gelu(dense(x))``) become one packed product with the
    GELU applied by oneDNN as it writes the result (:func:`fused_feed_forwards`)."""
    import torch

    fused = fused_feed_forwards(model) if fuse_gelu else 0
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
        return fused
    for parent, name, layer in packed:
        setattr(parent, name, layer)
    return fused + len(packed)


def fused_feed_forwards(model: Any) -> int:
    """Replace each Hugging Face feed-forward first half in ``model`` (a module named
    ``...Intermediate`` with a bfloat16 ``dense`` Linear and an ``intermediate_act_fn``)
    by one packed product with GELU fused; returns how many.

    Unfused, the product's bfloat16 result is written out, read back by GELU and written
    again (in a profile of the bundled model, GELU alone was 8 % of a forward pass); fused,
    GELU is applied to each value as the product computes it, in float32 before the one
    rounding to bfloat16 (so the result is, if anything, closer to float32's). Measured
    (Intel Xeon with AMX, one torch thread): 384 -> 1,536 over 4,096 rows, product then GELU
    9.3 ms, fused 6.9 ms; 700 Cranfield chunks through the embedder (two lanes) 4.68 -> 4.27 s.
    The activation must compute the exact GELU in float32, and each replacement is checked on
    probe rows against the module it replaces; one that differs or fails is left as it was
    (logged)."""
    import torch

    found = [
        (parent, name, child)
        for parent in model.modules()
        for name, child in parent.named_children()
        if type(child).__name__.endswith("Intermediate")
        and isinstance(getattr(child, "dense", None), torch.nn.Linear)
        and child.dense.weight.dtype == torch.bfloat16
        and callable(getattr(child, "intermediate_act_fn", None))
    ]
    done = 0
    for parent, name, child in found:
        if not _exact_gelu(torch, child.intermediate_act_fn):
            log.info("feed-forward product not fused: its activation is not the exact GELU")
            continue
        try:
            fused = _packed(torch, child.dense, activation="gelu", reference=child)
        except Exception as err:
            log.info("feed-forward product and GELU not fused (%s: %s)", type(err).__name__, err)
            continue
        setattr(parent, name, fused)
        done += 1
    return done


def _exact_gelu(torch: Any, act: Any) -> bool:
    """Whether ``act`` computes the exact (erf) GELU, in float32 (tanh's approximation is
    ~1e-4 away from it: within bfloat16's rounding, so the fused layer's check can't tell)."""
    probe = torch.linspace(-6, 6, 241)
    try:
        with torch.inference_mode():
            return bool(torch.allclose(act(probe), torch.nn.functional.gelu(probe), rtol=0, atol=1e-6))
    except Exception:
        return False


# oneDNN's "algorithm" argument per activation ("none" for GELU is its exact, erf form)
_ALGORITHM = {"none": "", "gelu": "none"}


def _packed(torch: Any, linear: Any, *, activation: str = "none", reference: Any = None) -> Any:
    algorithm = _ALGORITHM[activation]

    class PackedLinear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.in_features, self.out_features = linear.in_features, linear.out_features
            self.activation = activation
            self.weight = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), PACK_ROWS)
            self.bias = None if linear.bias is None else linear.bias.detach()

        def forward(self, x: Any) -> Any:
            return torch.ops.mkldnn._linear_pointwise(
                x.to(torch.bfloat16), self.weight, self.bias, activation, [], algorithm
            )

        def extra_repr(self) -> str:
            return (
                f"in_features={self.in_features}, out_features={self.out_features}, activation={activation}"
            )

    layer = PackedLinear()
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for rows in PROBE_ROWS:
            probe = torch.randn(rows, linear.in_features, generator=generator).to(torch.bfloat16)
            expected = (reference or linear)(probe)
            if not torch.allclose(layer(probe).float(), expected.float(), rtol=TOLERANCE, atol=TOLERANCE):
                what = "linear" if reference is None else type(reference).__name__
                raise ValueError(f"the packed product differs from {what} over {rows} rows")
    return layer
