"""A sentence-transformers model's transformer run as a TorchScript trace (int8 on a CPU).

In int8 each text is its own forward pass (``int8.py``), and a BERT forward pass in eager
torch is ~150 small Python-level steps (module calls, views, the mask): ~2 ms per text that
is not arithmetic, taken under the GIL, so two encode lanes wait for each other. A trace
runs the same operations from C++, without the GIL. Measured (300 Cranfield abstracts, int8,
one text per pass, one torch thread per lane): 3.10-3.35 s eager against 2.22 s traced in
two lanes (4.4 s traced in one: the lanes no longer wait for each other), 3.0 -> 1.2 ms for
a one-word text; the vectors were bit-identical.

A trace records the operations one example took, so anything the model decides from its
input's *values* is frozen. Eager Hugging Face BERT drops the attention mask when it is all
ones (it keeps it while being traced, but a custom model may not), so the example is a
padded batch of two texts of different lengths: the mask is in the graph and always
applied (a mask of all ones changes nothing). Shapes are not frozen (sizes are traced as
operations). Before a trace is used, :func:`trace_transformer` checks it against
the eager model on texts of other lengths, alone and padded; any difference, or a model the
tracer can't follow, keeps the eager model (said in the log). Nothing is traced for
float32 or bfloat16: their batches of 16 texts spend well under 1 % of a pass in Python, and
the feed-forward blocks (``row_blocks.py``) branch on the batch's size, which a trace would
freeze.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXAMPLE = ["A short example.", "A longer example text, so that the first one is padded in the batch."]
PROBES = [
    "drag",
    "Heat transfer in laminar flow over a flat plate at supersonic speed, measured in a wind tunnel.",
]


def trace_transformer(model: Any) -> bool:
    """Run ``model``'s first module (a sentence-transformers ``Transformer``) as a trace of
    its Hugging Face model; True if it now does, False if it keeps the eager one."""
    import torch

    module = model[0]
    hf_model: Any = getattr(module, "auto_model", None)
    output = getattr(module, "module_output_name", "token_embeddings")
    if hf_model is None:
        return False
    example = model.preprocess(EXAMPLE)
    names = [name for name in INPUTS if name in example]
    if "attention_mask" not in names:
        return False

    class Positional(torch.nn.Module):  # a trace takes positional tensors
        def __init__(self) -> None:
            super().__init__()
            self.inner: Any = hf_model

        def forward(self, *tensors: Any) -> Any:
            return self.inner(**dict(zip(names, tensors, strict=True)), return_dict=False)[0]

    try:
        with torch.inference_mode(), warnings.catch_warnings(), _quiet_transformers():
            warnings.simplefilter("ignore")  # TracerWarnings about Python values: checked below
            traced = torch.jit.trace(Positional(), tuple(example[n] for n in names), check_trace=False)
    except Exception as err:  # a model the tracer can't follow: stays eager
        log.info("embedder stays eager: tracing failed (%s)", err)
        return False

    def forward(features: dict[str, Any], **_: Any) -> dict[str, Any]:
        features[output] = traced(*(features[n] for n in names))
        return features

    if not _same_vectors(model, module, forward):
        log.warning("embedder stays eager: its trace computed other vectors than the model")
        return False
    module.forward = forward  # an instance attribute: nn.Module.__call__ runs it
    return True


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """The tracer reads every attribute of the model, and Hugging Face logs a warning for one
    of them (its training loss type): not for a server's log. (Loads run one at a time.)"""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def _same_vectors(model: Any, module: Any, forward: Any) -> bool:
    """Whether ``forward`` in place of the module's own gives the model's vectors, for the
    probe texts alone and padded in one batch."""
    import torch

    def vectors(texts: list[str]) -> Any:
        with torch.inference_mode():
            return model(model.preprocess(texts))["sentence_embedding"]

    calls = [[text] for text in PROBES] + [PROBES]
    eager = [vectors(texts) for texts in calls]
    module.forward = forward
    try:
        traced = [vectors(texts) for texts in calls]
    except Exception:
        return False
    finally:
        del module.forward  # back to the class's method
    return all(torch.allclose(a, b, rtol=0, atol=1e-6) for a, b in zip(eager, traced, strict=True))
