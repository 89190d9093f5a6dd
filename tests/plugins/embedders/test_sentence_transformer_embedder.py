"""The bundled all-MiniLM-L6-v2 through sentence-transformers: contract, model resolution, cache."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from llamafarm_embedders import model_cache, precision
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder

from llamafarm_core.bundled import minilm_path
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.errors import ComponentUnavailable, PluginError
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.embedders import EmbedderContract


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEmbedder:
    """One embedder for the session; the model itself is cached process-wide anyway."""
    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=4))
    embedder.check()
    return embedder


class TestSentenceTransformerContract(EmbedderContract):
    @pytest.fixture
    def embedder(self, minilm: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
        return minilm


class TestFastPrecisionContract(EmbedderContract):
    """``precision: fast`` (the rag template's): batches in what ``precision.fastest`` picks
    on this CPU, one query in int8 where it runs."""

    @pytest.fixture(scope="class")
    def embedder(self) -> SentenceTransformerEmbedder:
        embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=4, precision="fast"))
        embedder.check()
        return embedder

    def test_batches_and_queries_run_in_what_fast_resolves_to(
        self, embedder: SentenceTransformerEmbedder
    ) -> None:
        embedder.embed_query("lift")
        assert embedder._model().precision == precision.resolve_precision("cpu", "fast")
        assert embedder._model(query=True).precision == precision.resolve_query_precision("cpu", "fast")
        if precision.int8.unavailable() is None:
            assert embedder._model(query=True).precision == "int8"


def test_a_health_check_loads_only_the_query_model() -> None:
    """A server embeds queries; checking a database's embedder must not load the batch
    model beside it (with ``fast`` on a CPU with AMX, a second model in memory)."""
    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="fast"))
    embedder.check()
    assert list(embedder._loaded) == [True]
    assert embedder.dimension() == 384 and list(embedder._loaded) == [True]


def test_a_query_is_embedded_as_its_one_text_batch_unless_fast(minilm: SentenceTransformerEmbedder) -> None:
    text = "An experimental study of boundary layer transition on a swept wing."
    assert minilm._model(query=True) is minilm._model()
    assert minilm.embed_query(text) == minilm.embed([text])[0]


def test_registered_under_original_names(registry: Registry) -> None:
    for name in ("sentence_transformers", "SentenceTransformerEmbedder", "HuggingFaceEmbedder"):
        assert registry.get(PluginKind.EMBEDDER, name).cls is SentenceTransformerEmbedder


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"])
def test_bundled_names_share_one_loaded_model(minilm: SentenceTransformerEmbedder, name: str) -> None:
    other = SentenceTransformerEmbedder(SentenceTransformerConfig(model_name=name))
    assert other.model_id == "sentence-transformers:all-MiniLM-L6-v2"
    assert other._model() is minilm._model()
    assert other.dimension() == 384


def test_local_directory_path_is_accepted(minilm: SentenceTransformerEmbedder) -> None:
    local = SentenceTransformerEmbedder(SentenceTransformerConfig(model_name=str(minilm_path())))
    assert local.model_id == f"sentence-transformers:{minilm_path().resolve()}"
    [a] = local.embed(["a local model directory"])
    [b] = minilm.embed(["a local model directory"])
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-5


def test_hub_name_is_unavailable_offline() -> None:
    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(model_name="BAAI/bge-small-en-v1.5"))
    assert embedder.model_id == f"sentence-transformers:{Path('BAAI/bge-small-en-v1.5').resolve()}"
    with pytest.raises(ComponentUnavailable) as err:
        embedder.embed(["x"])
    assert err.value.message == (
        "SentenceTransformerEmbedder: model 'BAAI/bge-small-en-v1.5' is not available offline; "
        "give a local path or use all-MiniLM-L6-v2"
    )
    with pytest.raises(ComponentUnavailable):
        embedder.check()


def test_a_directory_that_is_no_model_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not a model")
    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(model_name=str(tmp_path)))
    with pytest.raises(ComponentUnavailable, match="cannot load a sentence-transformers model from"):
        embedder.embed(["x"])


def test_device_auto_picks_what_exists_and_missing_cuda_is_clear() -> None:
    import torch

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert model_cache.resolve_device("auto") in (expected, "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ComponentUnavailable, match="device 'cuda' is not available"):
            model_cache.resolve_device("cuda")


def test_unknown_device_is_a_config_error(registry: Registry) -> None:
    with pytest.raises(PluginError, match="device"):
        registry.validate_config(PluginKind.EMBEDDER, "HuggingFaceEmbedder", {"device": "gpu"})


def test_vectors_are_unit_length_and_empty_text_is_fine(minilm: SentenceTransformerEmbedder) -> None:
    vectors = minilm.embed(["", "some text", "x " * 600])  # the last one is cut at the model's 256 tokens
    assert len(vectors) == 3
    for v in vectors:
        assert math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-4)
