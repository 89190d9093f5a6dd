"""Local sentence-transformers models; the default is the bundled all-MiniLM-L6-v2."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from llamafarm_core.bundled import MINILM_NAMES, minilm_path
from llamafarm_core.components.base import PluginConfig
from llamafarm_core.components.embedder import Embedder, EmbedderConfig
from llamafarm_core.errors import ComponentUnavailable
from llamafarm_embedders.model_cache import LoadedModel, get_model, resolve_device

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


class SentenceTransformerEmbedder(Embedder):
    """Embeds with a sentence-transformers model loaded from disk (never from a hub).

    The loaded model is shared by every instance in the process (see ``model_cache``).
    ``encode`` sorts each call's texts by length internally and restores their order, so
    one call per :meth:`embed` gets length-sorted batches of ``batch_size``.
    """

    name: ClassVar[str] = "sentence_transformers"
    aliases: ClassVar[tuple[str, ...]] = ("SentenceTransformerEmbedder", "HuggingFaceEmbedder")
    description: ClassVar[str] = "Local sentence-transformers model (bundled all-MiniLM-L6-v2 by default)"
    Config: ClassVar[type[PluginConfig]] = SentenceTransformerConfig

    def __init__(self, config: PluginConfig, **context: object) -> None:
        super().__init__(config, **context)
        assert isinstance(config, SentenceTransformerConfig)
        self.cfg = config

    @property
    def model_id(self) -> str:
        name = self.cfg.model_name
        if name in MINILM_NAMES:
            return BUNDLED_ID
        return f"sentence-transformers:{Path(name).expanduser().resolve()}"

    def model_path(self) -> Path:
        """Where the model is on disk; ComponentUnavailable for anything not local."""
        name = self.cfg.model_name
        if name in MINILM_NAMES:
            return minilm_path()
        path = Path(name).expanduser()
        if path.is_dir():
            return path
        raise ComponentUnavailable(
            f"SentenceTransformerEmbedder: model {name!r} is not available offline; "
            "give a local path or use all-MiniLM-L6-v2"
        )

    def _model(self) -> LoadedModel:
        return get_model(self.model_path(), resolve_device(self.cfg.device))

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        loaded = self._model()
        with loaded.lock:
            vectors = loaded.model.encode(
                [str(t) for t in texts],
                batch_size=self.cfg.batch_size,
                normalize_embeddings=self.cfg.normalize_embeddings,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [[float(x) for x in row] for row in vectors]

    def dimension(self) -> int:
        return self._model().dimension()
