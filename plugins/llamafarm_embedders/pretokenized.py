"""A call's texts tokenized once: for sorting them by length and for every batch cut from them.

The embedder sorts a call's texts by word pieces (``sentence_transformer.token_order``) and
then tokenized each batch again in its lanes: 0.5 + 0.8 CPU-s for the 1,975 Cranfield chunks,
the first half before any lane could start. Here the model's own ``preprocess`` runs once over
slices of :data:`SLICE` texts (so a call's token ids stay bounded: 1,024 x 512 x 8 bytes per
feature at most), and a batch's features are its rows, cut or padded to the batch's longest
text. The model sees exactly what ``preprocess`` of the batch alone gives (tested), because
padding is on the right: a row's ids, mask and token types end where the text does, and the
padding after them (``precision.pad_value``) is what the tokenizer adds.
A tokenizer that pads on the left, or features other than one row of word pieces per text,
keep the per-batch path (:meth:`Pretokenized.of` returns None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llamafarm_embedders.precision import pad_value

SLICE = 1024  # texts per preprocess call


@dataclass(frozen=True)
class Pretokenized:
    slices: list[dict[str, Any]]  # preprocess of texts [k * SLICE, (k + 1) * SLICE)
    lengths: list[int]  # word pieces per text, special ones included
    fills: dict[str, int]  # each feature's padding value

    @classmethod
    def of(cls, model: Any, texts: Sequence[str]) -> Pretokenized | None:
        """The texts' features in slices; None where a batch's could differ from them."""
        import torch

        if not texts or getattr(model.tokenizer, "padding_side", "right") != "right":
            return None
        slices, lengths = [], []
        for start in range(0, len(texts), SLICE):
            part = list(texts[start : start + SLICE])
            features = model.preprocess(part)
            mask = features.get("attention_mask")
            rows = [v for v in features.values() if isinstance(v, torch.Tensor)]
            if mask is None or any(v.dim() != 2 or v.shape != mask.shape for v in rows):
                return None
            slices.append(dict(features))  # its tensors: not the tokenizer's per-text encodings
            lengths.extend(mask.sum(dim=1).tolist())
        return cls(slices, lengths, {key: pad_value(model, key) for key in slices[0]})

    def order(self) -> list[int]:
        """Text indexes, shortest first."""
        return sorted(range(len(self.lengths)), key=self.lengths.__getitem__)

    def features(self, batch: Sequence[int]) -> dict[str, Any]:
        """What ``preprocess`` gives for the texts at ``batch``, in that order."""
        import torch

        width = max(self.lengths[i] for i in batch)
        first = self.slices[0]
        out: dict[str, Any] = {k: v for k, v in first.items() if not isinstance(v, torch.Tensor)}
        for key, value in first.items():
            if not isinstance(value, torch.Tensor):
                continue
            rows = torch.full((len(batch), width), self.fills[key], dtype=value.dtype)
            for row, i in enumerate(batch):
                source = self.slices[i // SLICE][key][i % SLICE]
                n = min(width, source.shape[0])
                rows[row, :n] = source[:n]
            out[key] = rows
        return out
