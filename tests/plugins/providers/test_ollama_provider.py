"""The ollama provider (official client) against the Ollama stand-in, which generates with
the real bundled Gemma through llama.cpp."""

from __future__ import annotations

import pytest
from llamafarm_providers.ollama_api import OllamaProvider, ollama_host

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import UpstreamError
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.providers import RemoteProviderContract, make_request
from tests.fakes.ollama import FakeOllamaServer
from tests.servers import free_port


def _build(
    registry: Registry, base_url: str | None, model: str = "gemma3:270m", **config: object
) -> OllamaProvider:
    runtime = RuntimeModel(name="o", provider="ollama", model=model, base_url=base_url)
    return registry.build(PluginKind.MODEL_PROVIDER, "ollama", config, model=runtime)  # type: ignore[return-value]


class TestOllamaContract(RemoteProviderContract):
    @pytest.fixture
    def provider(self, registry: Registry, fake_ollama_chat: FakeOllamaServer) -> OllamaProvider:
        return _build(registry, fake_ollama_chat.url)

    @pytest.fixture
    def unreachable_provider(self, registry: Registry) -> OllamaProvider:
        return _build(registry, f"http://127.0.0.1:{free_port()}", timeout=5)


def test_options_reach_ollama_in_its_own_names(
    registry: Registry, fake_ollama_chat: FakeOllamaServer
) -> None:
    provider = _build(registry, fake_ollama_chat.url, keep_alive="1m")
    request = make_request(max_tokens=3, temperature=0.1, top_k=5, seed=9, stop=["END"])
    request.extra = {"num_ctx": 1024}
    provider.complete(request)
    path, body = fake_ollama_chat.state.requests[-1]
    assert path == "/api/chat"
    assert body["options"] == {
        "num_predict": 3,
        "temperature": 0.1,
        "top_k": 5,
        "seed": 9,
        "stop": ["END"],
        "num_ctx": 1024,
    }
    assert body["keep_alive"] == "1m"
    assert body["messages"][0] == {"role": "system", "content": "You are a helpful assistant."}


def test_a_model_the_daemon_lacks_is_a_502_with_its_message(
    registry: Registry, fake_ollama_chat: FakeOllamaServer
) -> None:
    provider = _build(registry, fake_ollama_chat.url, model="llama3.1:8b")
    with pytest.raises(UpstreamError) as err:
        provider.complete(make_request(max_tokens=2))
    assert "404" in err.value.message and "llama3.1:8b" in err.value.message
    with pytest.raises(UpstreamError, match="not found"):
        list(provider.stream(make_request(max_tokens=2)))


def test_base_urls_written_for_the_openai_api_are_accepted() -> None:
    assert ollama_host("http://localhost:11434/v1") == "http://localhost:11434"
    assert ollama_host(None) == "http://localhost:11434"
    assert ollama_host("http://gpu-box:11434/") == "http://gpu-box:11434"


def test_the_stand_in_generate_endpoint_speaks_ollama(fake_ollama_chat: FakeOllamaServer) -> None:
    """/api/generate (used by other Ollama clients) through the official client."""
    import ollama

    client = ollama.Client(host=fake_ollama_chat.url)
    options = {"num_predict": 4, "temperature": 0.0}
    whole = client.generate(model="gemma3:270m", prompt="Say hello.", system="Be brief.", options=options)
    assert whole.done and whole.response and 0 < (whole.eval_count or 0) <= 4
    parts = list(
        client.generate(
            model="gemma3:270m", prompt="Say hello.", system="Be brief.", options=options, stream=True
        )
    )
    assert parts[-1].done and not any(p.done for p in parts[:-1])
    assert "".join(p.response for p in parts).strip() == whole.response
