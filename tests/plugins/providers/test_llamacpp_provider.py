"""The embedded llama.cpp provider with the bundled Gemma 3 270M."""

from __future__ import annotations

import threading

import pytest
from llamafarm_providers.llamacpp import LlamaCppProvider, resolve_model_path

from llamafarm_core.chat.prompt import render_plain
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import BadRequest, ComponentUnavailable, PluginError
from llamafarm_core.llm.types import ChatMessage, Role
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.providers import ProviderContract, make_request


def _build(registry: Registry, model: str = "gemma3-270m", **config: object) -> LlamaCppProvider:
    runtime = RuntimeModel(name="local", provider="llamacpp", model=model)
    return registry.build(PluginKind.MODEL_PROVIDER, "llamacpp", config, model=runtime)  # type: ignore[return-value]


class TestLlamaCppContract(ProviderContract):
    @pytest.fixture
    def provider(self, registry: Registry) -> LlamaCppProvider:
        return _build(registry)


def test_the_model_is_loaded_once_per_process(registry: Registry) -> None:
    a, b = _build(registry), _build(registry)
    assert a._load() is b._load()


def test_answers_stay_on_the_assistant_line(registry: Registry) -> None:
    """The base model may answer with a line break and a made-up next turn; the answer is
    never cut to nothing by the stop sequences, and never contains a fake turn."""
    provider = _build(registry)
    request = make_request("What is the capital of France?", max_tokens=12, temperature=0.7)
    for seed in range(8):
        request.seed = seed
        text = provider.complete(request).text
        assert text, f"empty answer with seed {seed}"
        assert "User:" not in text and "System:" not in text and "Assistant:" not in text


def test_request_stop_sequence_is_honoured(registry: Registry) -> None:
    provider = _build(registry)
    free = provider.complete(
        make_request("Count: one, two, three, four", max_tokens=16, temperature=0.0)
    ).text
    assert free, "the model answered nothing"
    cut_at = free.split()[0]
    stopped = provider.complete(
        make_request("Count: one, two, three, four", max_tokens=16, temperature=0.0, stop=[cut_at])
    ).text
    assert cut_at not in stopped and len(stopped) < len(free)


def test_concurrent_generations_take_turns(registry: Registry) -> None:
    provider = _build(registry)
    results: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(provider.complete(make_request(max_tokens=4, temperature=0.0)).text)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1 and results[0]


def test_old_turns_are_dropped_to_fit_the_context(registry: Registry) -> None:
    provider = _build(registry, n_ctx=256)
    filler = "llamas graze on the hill " * 20
    messages = [ChatMessage(Role.SYSTEM, "Be brief.")]
    for i in range(6):
        messages += [ChatMessage(Role.USER, f"{i} {filler}"), ChatMessage(Role.ASSISTANT, "ok")]
    messages.append(ChatMessage(Role.USER, "What do llamas eat?"))
    request = make_request(max_tokens=8)
    request.messages = messages
    result = provider.complete(request)
    assert result.usage.prompt_tokens + 8 <= 256
    assert len(render_plain(messages)) > 2000  # the full conversation could not have fitted


def test_a_prompt_that_cannot_fit_is_a_400(registry: Registry) -> None:
    provider = _build(registry, n_ctx=256)
    request = make_request("word " * 400, max_tokens=8)
    with pytest.raises(BadRequest, match="context"):
        provider.complete(request)


def test_missing_model_file_is_unavailable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ComponentUnavailable, match="neither a bundled model"):
        resolve_model_path(str(tmp_path / "nope.gguf"))


def test_a_gguf_path_is_accepted(registry: Registry) -> None:
    from llamafarm_core.bundled import gemma_gguf_path

    provider = _build(registry, model=str(gemma_gguf_path()))
    assert provider.complete(make_request(max_tokens=2, temperature=0.0)).usage.completion_tokens > 0


def test_bad_provider_config_names_the_key(registry: Registry) -> None:
    with pytest.raises(PluginError, match="n_ctx"):
        _build(registry, n_ctx=10)
    with pytest.raises(PluginError, match="unknown key"):
        _build(registry, contxt=1024)


def test_models_are_freed_at_exit_unless_a_turn_holds_them(registry: Registry) -> None:
    """``close_models`` (registered with atexit on a load) frees idle models before the
    interpreter tears llama-cpp-python down; a model a turn still holds is left alone."""
    from llamafarm_providers import llamacpp

    idle = _build(registry)._load()
    llamacpp.close_models()
    assert idle.llm._model.model is None and not llamacpp._MODELS  # freed and forgotten

    busy = _build(registry)._load()
    assert busy is not idle  # loaded again
    assert busy.lock.acquire(blocking=False)
    try:
        llamacpp.close_models()
        assert busy.llm._model.model is not None  # in use: not freed under the turn
    finally:
        busy.lock.release()


def test_each_generation_frees_its_sampler_chain(registry: Registry) -> None:
    """llama-cpp-python's sampler chains sit in reference cycles; left to the garbage
    collector, every chat turn kept one (and its native buffer) alive until a full collection."""
    import gc

    from llama_cpp._internals import LlamaSampler

    provider = _build(registry)

    def live_chains() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is LlamaSampler and o.sampler is not None)

    gc.collect()
    before = live_chains()
    gc.disable()  # as good as a server's rare full collections
    try:
        for i in range(4):
            provider.complete(make_request(f"Say {i}.", max_tokens=2))
        assert live_chains() == before  # none left behind, none waiting for the collector
        assert provider._load().llm._sampler is None
    finally:
        gc.enable()
