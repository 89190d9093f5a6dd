"""Real server processes for tests: a Chroma server (``chroma run``) and an OpenAI-compatible
llama.cpp server (``python -m llama_cpp.server``) on free ports, plus session fixtures (and
one for the in-process Ollama stand-in, ``tests/fakes/ollama.py``).

Use the fixtures from a conftest or test module by importing them::

    from tests.servers import chroma_server, fake_ollama, llama_cpp_embedding_server  # noqa: F401

or start a server yourself: ``with chroma(path) as server: server.url``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

VENV_BIN = Path(sys.executable).parent
# The bundled Gemma GGUF declares no pooling type, so llama.cpp would return one vector per
# token; mean pooling (1) gives one vector per input, as an embedding server must.
GEMMA_MEAN_POOLING = "gemma3.pooling_type=int:1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChildProcess:
    """A child process logging to a file; stop() ends it (terminate, then kill)."""

    def __init__(
        self,
        argv: Sequence[str],
        log_path: Path,
        env: dict[str, str],
        *,
        cwd: Path | None = None,
        new_session: bool = False,
    ) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=new_session,
        )

    def log(self, tail: int | None = 5000) -> str:
        """The end of the log (``tail=None``: all of it)."""
        text = self.log_path.read_text(errors="replace")
        return text[-tail:] if tail else text

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


class ChildServer(ChildProcess):
    """A server child process on a free port (in its own session, so stop() ends only it)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        ready_path: str,
        log_dir: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ready_url = self.url + ready_path
        full_env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", **(env or {})}
        super().__init__(argv, log_dir / f"{name}-{port}.log", full_env, new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> ChildServer:
        """Poll ``ready_url`` until it answers 200; fail with the log if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.ready_url, timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer {self.ready_url} within {timeout}s:\n{self.log()}")

    def __enter__(self) -> ChildServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def chroma(path: Path, log_dir: Path | None = None) -> ChildServer:
    """``chroma run --path <path>`` on a free port, ready (heartbeat answers)."""
    port = free_port()
    argv = [str(VENV_BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    return ChildServer("chroma", argv, port, "/api/v2/heartbeat", log_dir or path.parent).wait_ready(60)


def llama_cpp(
    model: Path,
    log_dir: Path,
    *,
    embedding: bool = False,
    n_ctx: int = 512,
    alias: str | None = None,
    extra_args: Sequence[str] = (),
) -> ChildServer:
    """``python -m llama_cpp.server`` serving ``model`` on a free port, ready (/v1/models answers).

    With ``embedding`` the server answers /v1/embeddings with mean-pooled vectors.
    ``alias`` is the model name the server reports (default: the file path).
    """
    port = free_port()
    argv = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--verbose", "false",
    ]  # fmt: skip
    if alias:
        argv += ["--model_alias", alias]
    if embedding:
        argv += ["--embedding", "true", "--kv_overrides", GEMMA_MEAN_POOLING]
    argv += list(extra_args)
    return ChildServer("llama_cpp", argv, port, "/v1/models", log_dir).wait_ready(120)


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers: a hung server. Yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


# -- session fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """A real Chroma server on its own temp data dir, for the whole session."""
    base = tmp_path_factory.mktemp("chroma-server")
    with chroma(base / "data", log_dir=base) as server:
        yield server


@pytest.fixture(scope="session")
def llama_cpp_embedding_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """A real llama.cpp OpenAI-compatible server with the bundled Gemma in embedding mode;
    its model is named ``gemma3-270m``."""
    from llamafarm_core.bundled import gemma_gguf_path

    log_dir = tmp_path_factory.mktemp("llama-cpp-embed")
    with llama_cpp(gemma_gguf_path(), log_dir, embedding=True, n_ctx=512, alias="gemma3-270m") as server:
        yield server


@pytest.fixture(scope="session")
def fake_ollama() -> Iterator[Any]:
    """The Ollama stand-in (``tests.fakes.ollama.FakeOllamaServer``) in a background thread."""
    from tests.fakes.ollama import FakeOllamaServer

    with FakeOllamaServer() as server:
        yield server
