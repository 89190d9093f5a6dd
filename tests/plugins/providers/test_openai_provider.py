"""The openai provider against a real OpenAI-compatible server (llama_cpp.server, same Gemma)."""

from __future__ import annotations

import pytest
from llamafarm_providers.openai_compat import OpenAIProvider

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import UpstreamError, UpstreamTimeout
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.providers import RemoteProviderContract, make_request
from tests.servers import ChildServer, free_port


def _build(registry: Registry, base_url: str, provider: str = "openai", **config: object) -> OpenAIProvider:
    model = RuntimeModel(
        name="remote", provider=provider, model="gemma3-270m", base_url=base_url, api_key="${LF_TEST_KEY:-x}"
    )
    return registry.build(PluginKind.MODEL_PROVIDER, provider, config, model=model)  # type: ignore[return-value]


class TestOpenAIContract(RemoteProviderContract):
    @pytest.fixture
    def provider(self, registry: Registry, llama_cpp_chat_server: ChildServer) -> OpenAIProvider:
        return _build(registry, f"{llama_cpp_chat_server.url}/v1")

    @pytest.fixture
    def unreachable_provider(self, registry: Registry) -> OpenAIProvider:
        return _build(registry, f"http://127.0.0.1:{free_port()}/v1", timeout=5)


@pytest.mark.parametrize("alias", ["universal", "lemonade"])
def test_aliases_build_the_same_provider(registry: Registry, alias: str) -> None:
    assert isinstance(_build(registry, "http://127.0.0.1:1/v1", provider=alias), OpenAIProvider)


def test_unknown_model_on_the_server_is_a_502_with_its_message(
    registry: Registry, llama_cpp_chat_server: ChildServer
) -> None:
    model = RuntimeModel(
        name="x", provider="openai", model="gemma3-270m", base_url=f"{llama_cpp_chat_server.url}/v9"
    )
    provider = registry.build(PluginKind.MODEL_PROVIDER, "openai", {}, model=model)
    with pytest.raises(UpstreamError) as err:
        provider.complete(make_request(max_tokens=2))  # type: ignore[attr-defined]
    assert "404" in err.value.message and llama_cpp_chat_server.url in err.value.message


def test_a_slow_server_is_a_504(registry: Registry) -> None:
    import socket

    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        provider = _build(registry, f"http://127.0.0.1:{port}/v1", timeout=0.5)
        with pytest.raises(UpstreamTimeout) as err:
            provider.complete(make_request(max_tokens=2))
    assert err.value.status == 504
    assert f"127.0.0.1:{port}" in err.value.message
