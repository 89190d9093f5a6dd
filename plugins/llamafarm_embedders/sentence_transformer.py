"""Local sentence-transformers models; the default is the bundled all-MiniLM-L6-v2."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from llamafarm_core.plugin_api import (
    MINILM_NAMES,
    ComponentUnavailable,
    Embedder,
    EmbedderConfig,
    minilm_path,
)
from llamafarm_embedders.model_cache import LoadedModel, get_model, resolve_device
from llamafarm_embedders.precision import (
    batch_size_for,
    encode_batch,
    resolve_precision,
    resolve_query_precision,
)
from llamafarm_embedders.pretokenized import Pretokenized

BUNDLED_ID = "sentence-transformers:all-MiniLM-L6-v2"


class SentenceTransformerConfig(EmbedderConfig):
    model_name: str = Field(
        "all-MiniLM-L6-v2",
        description="all-MiniLM-L6-v2 (bundled) or the path of a local sentence-transformers model directory.",
    )
    device: str = Field(
        "cpu", pattern=r"^(cpu|auto|mps|cuda(:\d+)?)$", description="cpu, auto, mps, cuda[:N]."
    )
    normalize_embeddings: bool = True
    precision: Literal["auto", "float32", "bfloat16", "int8", "fast"] = Field(
        "auto",
        description=(
            "Arithmetic of the forward pass on cpu. auto: bfloat16 where the CPU computes it "
            "natively (AVX512-BF16 or AMX) and a measured matrix product runs >= 1.25x faster in it "
            "(~2.5-8x on some CPUs, slower on others; vectors within 1e-4 cosine of float32), "
            "else float32. int8: int8 matrix products, one text per forward pass, on x86-64 CPUs "
            "with AVX2 (float32 elsewhere); ~1.7x faster, vectors ~0.995 cosine of float32's. "
            "fast: int8 where it runs, unless a measured bfloat16 matrix product is >= 1.25x "
            "faster than int8's (CPUs with AMX); else as auto. Other devices always use their default."
        ),
    )


class SentenceTransformerEmbedder(Embedder[SentenceTransformerConfig]):
    """Embeds with a sentence-transformers model loaded from disk (never from a hub).

    The loaded model is shared by every instance in the process (see ``model_cache``).
    :meth:`embed` sorts a call's texts by word pieces, cuts batches of ``batch_size`` (at most
    ``precision.BATCH_ROWS`` on a CPU) and runs them in the model's lanes (side by side in
    a worker), restoring the texts' order.
    """

    name: ClassVar[str] = "sentence_transformers"
    aliases: ClassVar[tuple[str, ...]] = ("SentenceTransformerEmbedder", "HuggingFaceEmbedder")
    description: ClassVar[str] = "Local sentence-transformers model (bundled all-MiniLM-L6-v2 by default)"

    def __init__(self, config: SentenceTransformerConfig, **context: object) -> None:
        super().__init__(config, **context)
        self._loaded: dict[bool, LoadedModel] = {}  # by "for one query"

    @property
    def model_id(self) -> str:
        name = self.config.model_name
        if name in MINILM_NAMES:
            return BUNDLED_ID
        return f"sentence-transformers:{Path(name).expanduser().resolve()}"

    def model_path(self) -> Path:
        """Where the model is on disk; ComponentUnavailable for anything not local."""
        name = self.config.model_name
        if name in MINILM_NAMES:
            return minilm_path()
        path = Path(name).expanduser()
        if path.is_dir():
            return path
        raise ComponentUnavailable(
            f"SentenceTransformerEmbedder: model {name!r} is not available offline; "
            "give a local path or use all-MiniLM-L6-v2"
        )

    def _model(self, *, query: bool = False) -> LoadedModel:
        """The loaded model for batches, or (``query``) for one search query: the same one
        unless ``precision: fast`` picks another arithmetic for one text
        (``precision.resolve_query_precision``). Resolved once: the model cache keeps it
        for the process's life."""
        loaded = self._loaded.get(query)
        if loaded is None:
            device = resolve_device(self.config.device)
            resolve = resolve_query_precision if query else resolve_precision
            loaded = self._loaded[query] = get_model(
                self.model_path(), device, resolve(device, self.config.precision)
            )
        return loaded

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._embed(self._model(), [str(t) for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._embed(self._model(query=True), [str(text)])[0]

    def _embed(self, loaded: LoadedModel, items: list[str]) -> list[list[float]]:
        size = batch_size_for(self.config.batch_size, cpu=loaded.device == "cpu", precision=loaded.precision)
        tokenized = None
        if len(items) > size:
            with loaded.tokenizing:  # once for the call: for the order and every batch
                tokenized = Pretokenized.of(loaded.model, items)
                order = tokenized.order() if tokenized else token_order(loaded.model, items)
        else:
            order = list(range(len(items)))
        # Longest first: the lanes take batches in this order, so a call ends on its shortest
        # (a partial batch among them) and no lane waits long for another's last one
        # (Cranfield chunks, 2 lanes: 15.8-16.3 s against 16.2-17.4 s shortest first).
        order.reverse()
        batches = [order[start : start + size] for start in range(0, len(order), size)]

        def encode(batch: list[int]) -> Any:
            return encode_batch(
                loaded.model,
                [items[i] for i in batch],
                self.config.normalize_embeddings,
                size,
                tokenizing=loaded.tokenizing,
                features=tokenized.features(batch) if tokenized else None,
            )

        out: list[list[float]] = [[] for _ in items]
        for batch, vectors in zip(batches, loaded.map(encode, batches), strict=True):
            for i, row in zip(batch, vectors.tolist(), strict=True):
                out[i] = row
        return out

    def dimension(self) -> int:
        # any loaded model answers; else the query one (a server answering queries and
        # checking its databases' health loads no other)
        loaded = next(iter(self._loaded.values()), None) or self._model(query=True)
        return loaded.dimension()


def token_order(model: Any, texts: list[str]) -> list[int]:
    """Indexes of ``texts`` by their length in the model's word pieces (cut at its window).

    sentence-transformers sorts a call by character length, which pads batches to texts
    that turn out longer in word pieces: on Cranfield that is ~10% of the forward passes
    spent on padding; sorting by word pieces (one fast tokenizer pass) wastes ~1.5%.
    """
    limit = getattr(model, "max_seq_length", None) or 512
    encoded = model.tokenizer(texts, add_special_tokens=True, truncation=True, max_length=limit)
    lengths = [len(ids) for ids in encoded["input_ids"]]
    return sorted(range(len(texts)), key=lengths.__getitem__)
