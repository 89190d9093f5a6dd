"""Servers the store tests talk to: a real Chroma server (``chroma run``)."""

from tests.servers import chroma_server  # noqa: F401
