"""Would int8 matrix products make the bundled embedder faster without hurting retrieval?

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/int8_study.py [--limit 320] [--rounds 2]

Encodes Cranfield (abstracts and queries) with all-MiniLM-L6-v2 in float32 (the product's
``encode_batch``, batches of 16, one torch thread) and with its Linear layers in int8, two
ways (neither is in the product; this bench is the study):

- ``dynamic``: torch's ``quantize_dynamic`` (fbgemm, per-channel weights). It quantizes a
  batch's activations with ONE scale for the whole batch, so a text's vector depends on the
  texts it was batched with: the table shows how far a text's vector moves between alone and
  in a batch;
- ``dynamic, one text per pass``: the same model fed one text per forward pass, so the scale
  is the text's own (its vector no longer depends on other texts), and no batch padding;
- ``int8 (the product)``: ``precision: int8`` as the embedder loads it (``int8.py``): the
  same kernels with 8-bit activations instead of torch's 7 (``reduce_range=False``, safe
  with VNNI; 7-bit weights without it), one text per forward pass, the transformer traced (``traced.py``);
- ``w8a8``: per-channel weights and a scale per word piece (row) for the activations, with
  ``torch._int_mm``: each row's result depends on that row alone. Written in eager torch, so
  quantizing and dequantizing are separate passes over the activations.

Reports seconds for ``--limit`` abstracts (best of ``--rounds``, in turns), the cosine of each
variant's document vectors to float32's (min and mean), a vector's batch dependence, and
nDCG@10 of plain dense retrieval over whole abstracts (cut at 256 word pieces) for the 225
queries, with both sides in the variant and with float32 queries against its documents.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def w8a8_linear(torch: Any, linear: Any) -> Any:
    """A module computing ``linear`` with int8 weights (a scale per output) and int8
    activations (a scale per row), through ``torch._int_mm``."""

    class W8A8Linear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            scale = weight.abs().amax(1).clamp(min=1e-8) / 127
            self.weight_q = torch.round(weight / scale[:, None]).to(torch.int8).t().contiguous()
            self.weight_scale = scale
            self.bias = linear.bias.detach().float()

        def forward(self, x: Any) -> Any:
            rows = x.reshape(-1, x.shape[-1])
            scale = rows.abs().amax(1, keepdim=True).clamp(min=1e-8) / 127
            products = torch._int_mm(torch.round(rows / scale).to(torch.int8), self.weight_q)
            out = torch.addcmul(self.bias, products.float(), scale * self.weight_scale)
            return out.view(*x.shape[:-1], -1)

    return W8A8Linear()


def load(variant: str) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    from llamafarm_core.bundled import minilm_path

    model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    if variant == "dynamic":
        from torch.ao.quantization import per_channel_dynamic_qconfig

        return torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )
    if variant == "int8":
        from llamafarm_embedders.int8 import quantize_linears
        from llamafarm_embedders.traced import trace_transformer

        quantize_linears(model)
        trace_transformer(model)
    if variant == "w8a8":
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, torch.nn.Linear):
                    setattr(parent, name, w8a8_linear(torch, child))
    return model


def encode(model: Any, texts: list[str], rows: int = 16) -> Any:
    """Vectors of ``texts`` in their order, batches of ``rows`` texts of similar length."""
    import numpy as np
    from llamafarm_embedders.precision import encode_batch
    from llamafarm_embedders.sentence_transformer import token_order

    order = token_order(model, texts)[::-1]
    out = np.zeros((len(texts), model.get_embedding_dimension()), dtype=np.float32)
    for start in range(0, len(order), rows):
        batch = order[start : start + rows]
        out[batch] = encode_batch(model, [texts[i] for i in batch], True, rows)
    return out


def ndcg(queries: Any, docs: Any, ids: list[str], qrels: dict[int, dict[str, int]]) -> float:
    import numpy as np
    from rag_cranfield import ndcg10

    scores = queries @ docs.T
    total = 0.0
    for i in range(len(queries)):
        ranking = [ids[j] for j in np.argsort(-scores[i])[:10]]
        total += ndcg10(ranking, qrels.get(i + 1, {}))
    return total / len(queries)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=320, help="abstracts in the timed encode")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    import numpy as np
    import torch
    from cranfield import QRELS, QRY, read_docs
    from llamafarm_embedders.int8 import unavailable
    from llamafarm_embedders.precision import encode_batch
    from rag_cranfield import read_qrels

    if (reason := unavailable()) is not None:
        sys.exit(f"int8 can't run here: {reason}")
    torch.set_num_threads(1)
    docs = read_docs()
    ids, texts = [d for d, _ in docs], [t for _, t in docs]
    queries = [t for _, t in read_docs(QRY)]
    qrels = read_qrels(QRELS)
    models = {name: load(name) for name in ("float32", "dynamic", "int8", "w8a8")}
    # name -> (model, texts per forward pass)
    variants = {
        "float32": (models["float32"], 16),
        "dynamic": (models["dynamic"], 16),
        "dynamic, one text per pass": (models["dynamic"], 1),
        "int8 (the product): 8-bit activations, one text per pass, traced": (models["int8"], 1),
        "w8a8": (models["w8a8"], 16),
    }
    timed = texts[: args.limit]
    best = dict.fromkeys(variants, float("inf"))
    with torch.inference_mode():
        for _ in range(args.rounds):
            for name, (model, rows) in variants.items():
                start = time.perf_counter()
                encode(model, timed, rows)
                best[name] = min(best[name], time.perf_counter() - start)
        vectors = {name: (encode(m, texts, n), encode(m, queries, n)) for name, (m, n) in variants.items()}
        probe = texts[:16]
        drift = {}
        for name, (model, rows) in variants.items():  # a text alone against the same text in a call
            alone = np.concatenate([encode_batch(model, [t], True) for t in probe])
            together = encode(model, probe, rows)
            drift[name] = float((alone * together).sum(1).min())

    ref_docs, ref_queries = vectors["float32"]
    print(f"\nall-MiniLM-L6-v2, Cranfield, one torch thread ({args.limit} abstracts timed)\n")
    print(
        "| variant | s | × float32 speed | doc cosine to float32, min / mean | "
        "alone vs in a call, min cosine | nDCG@10 | nDCG@10, float32 queries |"
    )
    print("|---|---:|---:|---|---:|---:|---:|")
    for name in variants:
        docs_v, queries_v = vectors[name]
        cos = (docs_v * ref_docs).sum(1)
        print(
            f"| {name} | {best[name]:.2f} | {best['float32'] / best[name]:.2f} | "
            f"{cos.min():.4f} / {cos.mean():.4f} | {drift[name]:.5f} | "
            f"{ndcg(queries_v, docs_v, ids, qrels):.4f} | {ndcg(ref_queries, docs_v, ids, qrels):.4f} |"
        )


if __name__ == "__main__":
    main()
