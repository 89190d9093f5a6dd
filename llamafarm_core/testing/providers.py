"""Contract tests for model providers.

A provider's test module subclasses :class:`ProviderContract` (or
:class:`RemoteProviderContract` for providers that talk to a service) and defines the
fixtures it names::

    class TestMyProvider(RemoteProviderContract):
        @pytest.fixture
        def provider(self): return MyProvider(MyProvider.Config(), model=RuntimeModel(...))

        @pytest.fixture
        def unreachable_provider(self): ...  # the same, pointed at a port nothing listens on

The provider must answer with a real model; keep ``max_tokens`` small (the tests do).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from llamafarm_core.components.provider import ModelProvider
from llamafarm_core.errors import UpstreamError
from llamafarm_core.llm.types import ChatMessage, Completion, CompletionRequest, Role, StreamDelta


def make_request(text: str = "Name three colours.", **options: Any) -> CompletionRequest:
    """A short conversation with a system message, as the chat service builds them."""
    messages = [ChatMessage(Role.SYSTEM, "You are a helpful assistant."), ChatMessage(Role.USER, text)]
    return CompletionRequest(messages=messages, **options)


def collect(provider: ModelProvider, request: CompletionRequest) -> tuple[list[StreamDelta], Completion]:
    """The deltas of a stream and its final Completion (exactly one, last)."""
    items = list(provider.stream(request))
    assert items and isinstance(items[-1], Completion), (
        f"a stream must end with a Completion, got {items[-1:]}"
    )
    deltas = items[:-1]
    assert all(isinstance(d, StreamDelta) for d in deltas), (
        "only StreamDelta items may precede the Completion"
    )
    return deltas, items[-1]  # type: ignore[return-value]


class ProviderContract:
    """What every provider must do. Needs a ``provider`` fixture."""

    max_tokens = 8

    def test_complete_returns_text_and_usage(self, provider: ModelProvider) -> None:
        result = provider.complete(make_request(max_tokens=self.max_tokens, temperature=0.0))
        assert isinstance(result, Completion)
        assert result.text.strip(), "the model answered nothing"
        assert result.text == result.text.strip()
        assert result.finish_reason in {"stop", "length"}
        assert result.usage.prompt_tokens > 0
        assert 0 < result.usage.completion_tokens <= self.max_tokens

    def test_max_tokens_bounds_the_answer(self, provider: ModelProvider) -> None:
        request = make_request("Write a long story about a llama.", max_tokens=2, temperature=0.0)
        result = provider.complete(request)
        assert result.usage.completion_tokens <= 2
        assert len(result.text.split()) <= 4

    def test_stream_is_deltas_then_one_completion(self, provider: ModelProvider) -> None:
        deltas, final = collect(provider, make_request(max_tokens=self.max_tokens, temperature=0.0))
        assert deltas, "a non-empty answer streams at least one delta"
        assert final.text == "".join(d.text for d in deltas)
        assert final.finish_reason in {"stop", "length"}

    def test_stream_and_complete_agree(self, provider: ModelProvider) -> None:
        options: dict[str, Any] = {"max_tokens": self.max_tokens, "temperature": 0.9, "seed": 7}
        provider.complete(make_request(**options))  # warm the prompt cache (see below)
        complete = provider.complete(make_request(**options))
        _, streamed = collect(provider, make_request(**options))
        assert streamed.text == complete.text

    def test_same_seed_same_answer(self, provider: ModelProvider) -> None:
        """With a seed, the same request gives the same answer. llama.cpp's arithmetic
        differs slightly between evaluating a prompt afresh and reusing it from its cache,
        so the first call warms the cache and the next two are compared."""
        options: dict[str, Any] = {"max_tokens": self.max_tokens, "temperature": 1.0, "seed": 1234}
        provider.complete(make_request("Invent a name for a cat.", **options))
        first = provider.complete(make_request("Invent a name for a cat.", **options)).text
        second = provider.complete(make_request("Invent a name for a cat.", **options)).text
        assert first == second

    def test_cancel_stops_a_stream(self, provider: ModelProvider) -> None:
        cancel = threading.Event()
        request = make_request(
            "Count from one to one hundred in words.", max_tokens=64, temperature=0.0, cancel=cancel
        )
        count = 0
        final: Completion | None = None
        stream = provider.stream(request)
        try:
            for item in stream:
                if isinstance(item, StreamDelta):
                    count += 1
                    cancel.set()
                else:
                    final = item
        finally:
            getattr(stream, "close", lambda: None)()
        assert final is not None and final.finish_reason == "cancelled"
        assert count <= 3


class RemoteProviderContract(ProviderContract):
    """For providers that call a service. Needs ``unreachable_provider`` too: the same
    provider configured with a URL where nothing listens."""

    def test_unreachable_service_is_an_upstream_error(self, unreachable_provider: ModelProvider) -> None:
        with pytest.raises(UpstreamError) as err:
            unreachable_provider.complete(make_request(max_tokens=4))
        assert err.value.status == 502
        assert "127.0.0.1" in err.value.message

    def test_unreachable_service_fails_a_stream_the_same_way(
        self, unreachable_provider: ModelProvider
    ) -> None:
        with pytest.raises(UpstreamError) as err:
            list(unreachable_provider.stream(make_request(max_tokens=4)))
        assert err.value.status == 502
