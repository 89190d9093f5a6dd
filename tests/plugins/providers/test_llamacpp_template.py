"""A user's .gguf with a chat template is prompted through it; the bundled base Gemma keeps
the plain prompt. The templated model is the bundled one with a template added
(templated_gguf.py), written into a temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llamafarm_providers.llamacpp import LlamaCppProvider

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.llm.types import ChatMessage, Completion, CompletionRequest, Role
from llamafarm_core.plugins.registry import Registry
from tests.plugins.providers.templated_gguf import write_templated_gguf

CONVERSATION = [
    ChatMessage(Role.SYSTEM, "You are terse."),
    ChatMessage(Role.USER, "Hi."),
    ChatMessage(Role.ASSISTANT, "Hello."),
    ChatMessage(Role.USER, "Name a fruit."),
]


@pytest.fixture(scope="module")
def templated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from llamafarm_core.bundled import gemma_gguf_path

    yield write_templated_gguf(gemma_gguf_path(), tmp_path_factory.mktemp("gguf") / "gemma-chat.gguf")


def _provider(registry: Registry, model: str, **fields: object) -> LlamaCppProvider:
    runtime = RuntimeModel(name="m", provider="llamacpp", model=model, **fields)  # type: ignore[arg-type]
    config = {"n_ctx": 1024, "n_threads": 1}
    return registry.build(PluginKind.MODEL_PROVIDER, "llamacpp", config, model=runtime)  # type: ignore[return-value]


def test_templated_gguf_is_prompted_through_its_template(registry: Registry, templated: Path) -> None:
    provider = _provider(registry, str(templated))
    prompt = provider.render_prompt(CompletionRequest(CONVERSATION))
    assert prompt == (
        "<bos><start_of_turn>user\nYou are terse.<end_of_turn>\n"
        "<start_of_turn>user\nHi.<end_of_turn>\n"
        "<start_of_turn>model\nHello.<end_of_turn>\n"
        "<start_of_turn>user\nName a fruit.<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
    final = [i for i in provider.stream(CompletionRequest(CONVERSATION, max_tokens=8, temperature=0.0))][-1]
    assert isinstance(final, Completion) and final.finish_reason in {"stop", "length"}
    llm = provider._load().llm
    # The usage counts the template's tokens (special tokens as one token each, one BOS).
    expected = llm.tokenize(prompt.encode(), add_bos=False, special=True)
    assert expected[0] == llm.token_bos() and expected[1] != llm.token_bos()
    assert final.usage.prompt_tokens == len(expected)
    assert "<end_of_turn>" not in final.text and "<start_of_turn>" not in final.text


def test_prompt_format_plain_overrides_the_template(registry: Registry, templated: Path) -> None:
    provider = _provider(registry, str(templated), prompt_format="plain")
    prompt = provider.render_prompt(CompletionRequest(CONVERSATION))
    assert prompt.startswith("System: You are terse.") and prompt.endswith("Assistant:")


def test_the_bundled_base_model_keeps_the_plain_prompt(registry: Registry) -> None:
    provider = _provider(registry, "gemma3-270m")
    assert provider._load().template is None
    prompt = provider.render_prompt(CompletionRequest(CONVERSATION))
    assert prompt.endswith("User: Name a fruit.\nAssistant:") and "<start_of_turn>" not in prompt


def test_a_template_that_refuses_the_conversation_is_a_400(registry: Registry, templated: Path) -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    from llamafarm_providers.llamacpp import ChatTemplate

    from llamafarm_core.errors import BadRequest

    strict = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}x"
    template = ChatTemplate(Jinja2ChatFormatter(strict, eos_token="<eos>", bos_token="<bos>"), "<bos>", [])
    with pytest.raises(BadRequest, match="chat template refused the conversation: System role not supported"):
        template.render(CONVERSATION)
    assert template.render(CONVERSATION[1:]) == "x"
