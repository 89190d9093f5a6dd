"""Fixtures of the retrieval core tests."""

from __future__ import annotations

import pytest

from llamafarm_core.plugins.registry import Registry
from tests.core.retrieval.corpus import Corpus, shared_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Corpus:
    """The generated corpus, processed once per session (read-only)."""
    return shared_corpus(tmp_path_factory, registry)
