"""Provider fixtures: the embedded model, a real llama.cpp OpenAI-compatible server with the
same Gemma file, and the Ollama stand-in backed by that model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.ollama import FakeOllamaServer, chat_state
from tests.servers import ChildServer, llama_cpp


@pytest.fixture(scope="session")
def llama_cpp_chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """``python -m llama_cpp.server`` with the bundled Gemma for chat; model name ``gemma3-270m``."""
    from llamafarm_core.bundled import gemma_gguf_path

    log_dir = tmp_path_factory.mktemp("llama-cpp-chat")
    with llama_cpp(gemma_gguf_path(), log_dir, n_ctx=2048, alias="gemma3-270m") as server:
        yield server


@pytest.fixture(scope="session")
def fake_ollama_chat() -> Iterator[FakeOllamaServer]:
    """The Ollama stand-in with the bundled Gemma installed as ``gemma3:270m``."""
    with FakeOllamaServer(chat_state()) as server:
        yield server
