"""Servers the embedder tests talk to (a real llama.cpp server and the Ollama stand-in), and
torch set to one thread as an encode lane runs it."""

from collections.abc import Iterator

import pytest

from tests.servers import fake_ollama, llama_cpp_embedding_server  # noqa: F401


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """One torch thread, as an encode lane runs: then a packed bfloat16 product is
    bit-identical to ``linear``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
