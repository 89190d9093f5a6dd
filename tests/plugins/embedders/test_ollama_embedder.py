"""The Ollama embedder against the Ollama stand-in (tests/fakes/ollama.py, real MiniLM vectors)."""

from __future__ import annotations

import time

import pytest
from llamafarm_embedders.batching import NO_ANSWER
from llamafarm_embedders.ollama_embedder import OllamaEmbedder, OllamaEmbedderConfig

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.errors import ComponentUnavailable, UpstreamError, UpstreamTimeout
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.embedders import EmbedderContract, cosine
from tests.fakes.ollama import FakeOllamaServer
from tests.servers import free_port, silent_server


def make(url: str, **options: object) -> OllamaEmbedder:
    return OllamaEmbedder(
        OllamaEmbedderConfig.model_validate({"model": "all-minilm", "base_url": url, **options})
    )


class TestOllamaContract(EmbedderContract):
    @pytest.fixture
    def embedder(self, fake_ollama: FakeOllamaServer) -> OllamaEmbedder:
        return make(fake_ollama.url, batch_size=4)


def test_registered_under_original_name(registry: Registry) -> None:
    assert registry.get(PluginKind.EMBEDDER, "OllamaEmbedder").cls is OllamaEmbedder


def test_batches_go_to_api_embed(fake_ollama: FakeOllamaServer) -> None:
    before = len(fake_ollama.state.requests)
    vectors = make(fake_ollama.url, batch_size=2).embed(["a", "b", "c", "d", "e"])
    calls = fake_ollama.state.requests[before:]
    assert [path for path, _ in calls] == ["/api/embed"] * 3
    assert [body["input"] for _, body in calls] == [["a", "b"], ["c", "d"], ["e"]]
    assert len(vectors) == 5


def test_model_id_names_the_tag(fake_ollama: FakeOllamaServer) -> None:
    assert make(fake_ollama.url).model_id == "ollama:all-minilm:latest"
    assert make(fake_ollama.url, model="all-minilm:l6-v2").model_id == "ollama:all-minilm:l6-v2"


def test_declared_dimension_is_used_and_checked(fake_ollama: FakeOllamaServer) -> None:
    assert make(fake_ollama.url, dimension=384).dimension() == 384
    wrong = make(fake_ollama.url, dimension=768)
    assert wrong.dimension() == 768  # declared: no request needed
    with pytest.raises(
        ComponentUnavailable, match="returns 384-dimensional vectors but the config says dimension: 768"
    ):
        wrong.embed(["x"])
    with pytest.raises(ComponentUnavailable):
        wrong.check()


def test_missing_model_without_auto_pull_is_unavailable(fake_ollama: FakeOllamaServer) -> None:
    embedder = make(fake_ollama.url, model="nomic-embed-text")
    with pytest.raises(ComponentUnavailable) as err:
        embedder.embed(["x"])
    assert err.value.message == (
        f"OllamaEmbedder: model 'nomic-embed-text' is not available at {fake_ollama.url}; "
        "run `ollama pull nomic-embed-text` there or set auto_pull: true"
    )


def test_auto_pull_pulls_once_then_embeds() -> None:
    with FakeOllamaServer() as fake:
        assert fake.state.find("all-minilm:l6-v2") is None
        embedder = make(fake.url, model="all-minilm:l6-v2", auto_pull=True)
        [a] = embedder.embed(["pulled on demand"])
        assert fake.state.find("all-minilm:l6-v2") is not None
        assert [p for p, _ in fake.state.requests] == ["/api/embed", "/api/pull", "/api/embed"]
        [b] = make(fake.url, model="all-minilm").embed(["pulled on demand"])
        assert cosine(a, b) > 0.999


def test_auto_pull_of_an_unknown_model_fails_clearly(fake_ollama: FakeOllamaServer) -> None:
    embedder = make(fake_ollama.url, model="no-such-model", auto_pull=True)
    with pytest.raises(
        ComponentUnavailable, match="'no-such-model' is not at .* and pulling it failed: pull model manifest"
    ):
        embedder.embed(["x"])


def test_a_chat_model_is_refused_with_ollamas_reason(fake_ollama: FakeOllamaServer) -> None:
    from tests.fakes.ollama import FakeModel

    fake_ollama.state.installed["chatty:latest"] = FakeModel(
        "chatty:latest", family="gemma3", capability="completion"
    )
    try:
        with pytest.raises(UpstreamError, match='answered 400: "chatty" does not support embedding'):
            make(fake_ollama.url, model="chatty").embed(["x"])
    finally:
        del fake_ollama.state.installed["chatty:latest"]


def test_nothing_listening_is_an_upstream_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(UpstreamError) as err:
        make(url).embed(["x"])
    assert err.value.message == f"OllamaEmbedder: cannot reach Ollama at {url} ({NO_ANSWER})"
    assert time.monotonic() - started < 5


def test_a_hung_server_times_out() -> None:
    with (
        silent_server() as url,
        pytest.raises(UpstreamTimeout, match=f"Ollama at {url} did not answer within 0.5s"),
    ):
        make(url, timeout=0.5).embed(["x"])


def test_a_pasted_v1_suffix_still_reaches_the_native_api(fake_ollama: FakeOllamaServer) -> None:
    assert len(make(fake_ollama.url + "/v1/").embed(["x"])[0]) == 384


def test_legacy_embeddings_endpoint_of_the_fake(fake_ollama: FakeOllamaServer) -> None:
    import ollama

    client = ollama.Client(host=fake_ollama.url)
    legacy = client.embeddings(model="all-minilm", prompt="Why is the sky blue?").embedding
    [current] = client.embed(model="all-minilm", input="Why is the sky blue?").embeddings
    assert cosine(legacy, current) > 0.999
    assert [m.model for m in client.list().models] == ["all-minilm:latest"]
    assert client.show("all-minilm").modelinfo["bert.embedding_length"] == 384
