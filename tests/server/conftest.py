"""Fixtures of the server tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ServerProcess


@pytest.fixture(scope="session")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One live ``llamafarm serve`` for the CLI test modules (each uses its own namespace), so
    the server's model and the worker's embedder load once."""
    data_dir = tmp_path_factory.mktemp("cli") / "served"
    data_dir.mkdir()
    server = ServerProcess(data_dir).wait_ready()
    yield server
    server.stop()
