"""Servers the embedder tests talk to: a real llama.cpp server and the Ollama stand-in."""

from tests.servers import fake_ollama, llama_cpp_embedding_server  # noqa: F401
