"""The OpenAI-compatible embedders against a real ``llama_cpp.server`` (bundled Gemma, mean-pooled)."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
import yaml
from llamafarm_embedders.batching import NO_ANSWER
from llamafarm_embedders.openai_embedder import OpenAIEmbedder, OpenAIEmbedderConfig
from llamafarm_embedders.universal_embedder import UniversalEmbedder, UniversalEmbedderConfig

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.errors import ComponentUnavailable, UpstreamError, UpstreamTimeout
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.embedders import EmbedderContract
from tests.conftest import FIXTURES
from tests.servers import ChildServer, free_port, silent_server

COMPAT_CONFIGS = sorted((FIXTURES / "compat").glob("*.yaml"))


def make(url: str, **options: object) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        OpenAIEmbedderConfig.model_validate({"model": "gemma3-270m", "base_url": url, **options})
    )


class TestOpenAIContract(EmbedderContract):
    @pytest.fixture
    def embedder(self, llama_cpp_embedding_server: ChildServer) -> OpenAIEmbedder:
        return make(llama_cpp_embedding_server.url + "/v1", batch_size=4)


def test_registered_names(registry: Registry) -> None:
    assert registry.get(PluginKind.EMBEDDER, "OpenAIEmbedder").cls is OpenAIEmbedder
    assert registry.get(PluginKind.EMBEDDER, "UniversalEmbedder").cls is UniversalEmbedder


def test_vectors_come_from_the_server(llama_cpp_embedding_server: ChildServer) -> None:
    embedder = make(llama_cpp_embedding_server.url + "/v1")
    assert embedder.dimension() == 640  # Gemma 3 270M's hidden size
    assert embedder.model_id == f"openai:{llama_cpp_embedding_server.url}/v1:gemma3-270m"


def test_declared_dimension_mismatch_is_clear(llama_cpp_embedding_server: ChildServer) -> None:
    embedder = make(llama_cpp_embedding_server.url + "/v1", dimension=768)
    with pytest.raises(
        ComponentUnavailable, match="returns 640-dimensional vectors but the config says dimension: 768"
    ):
        embedder.check()


def test_compat_configs_are_there() -> None:
    assert len(COMPAT_CONFIGS) >= 3


@pytest.mark.parametrize("path", [p.name for p in COMPAT_CONFIGS])
def test_compat_embedders_load_and_report_ignored_keys(registry: Registry, path: str) -> None:
    config = yaml.safe_load(next(p for p in COMPAT_CONFIGS if p.name == path).read_text())
    for i, db in enumerate(config["rag"]["databases"]):
        for j, strategy in enumerate(db["embedding_strategies"]):
            where = f"rag.databases[{i}].embedding_strategies[{j}].config"
            built = registry.validate_config(
                PluginKind.EMBEDDER, strategy["type"], strategy["config"], where=where
            )
            assert built.warnings == [f"{where}.auto_pull: accepted for compatibility, ignored by universal"]
            assert isinstance(built.config, UniversalEmbedderConfig)
            assert built.config.base_url == "http://127.0.0.1:11540/v1"


def test_universal_with_nothing_listening_fails_fast_and_clearly(registry: Registry) -> None:
    raw = {"model": "nomic-ai/nomic-embed-text-v2-moe", "dimension": 768, "timeout": 60, "auto_pull": True}
    embedder = registry.build(PluginKind.EMBEDDER, "UniversalEmbedder", raw, where="x")
    started = time.monotonic()
    with pytest.raises(UpstreamError) as err:
        embedder.embed(["hello"])
    assert err.value.message == f"UniversalEmbedder: cannot reach http://127.0.0.1:11540/v1 ({NO_ANSWER})"
    assert err.value.status == 502
    assert time.monotonic() - started < 5


def test_openai_with_nothing_listening_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(
        UpstreamError, match=f"OpenAIEmbedder: cannot reach {re.escape(url)} \\(no HTTP answer"
    ):
        make(url, max_retries=0).embed(["x"])


def test_open_and_closed_ports_read_the_same() -> None:
    """Issue 10: error wording must not tell an open (non-HTTP) port from a closed one."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def hang_up() -> None:  # accept and close at once, like a non-HTTP service
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    messages = []
    try:
        for port in (listener.getsockname()[1], free_port()):
            with pytest.raises(UpstreamError) as err:
                make(f"http://127.0.0.1:{port}/v1", max_retries=0).embed(["x"])
            messages.append(err.value.message.replace(str(port), "PORT"))
    finally:
        listener.close()
    assert messages[0] == messages[1] and NO_ANSWER in messages[0]


def test_a_hung_server_times_out() -> None:
    with silent_server() as url:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout, match=f"OpenAIEmbedder: {url}/v1 did not answer within 0.5s"):
            make(url + "/v1", timeout=0.5, max_retries=0).embed(["x"])
        assert time.monotonic() - started < 5


def test_a_server_without_the_endpoint_is_reported(llama_cpp_embedding_server: ChildServer) -> None:
    embedder = make(llama_cpp_embedding_server.url + "/nope", max_retries=0)
    with pytest.raises(ComponentUnavailable, match="answered 404 for model 'gemma3-270m'.*end in /v1"):
        embedder.embed(["x"])


def test_universal_config_defaults() -> None:
    config = UniversalEmbedderConfig()
    assert config.base_url == "http://127.0.0.1:11540/v1"
    assert UniversalEmbedder(config).url == "http://127.0.0.1:11540/v1"
