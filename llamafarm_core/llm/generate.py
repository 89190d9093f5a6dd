"""A plain text-in, text-out function over a project's default model (for query expansion
and other internal uses of the LLM)."""

from __future__ import annotations

from collections.abc import Callable

from llamafarm_core.llm.models import build_provider, select_model
from llamafarm_core.llm.params import build_request
from llamafarm_core.llm.types import ChatMessage, Role
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project
from llamafarm_core.settings import Settings

TextGenerator = Callable[[str, int], str]


def text_generator(settings: Settings, registry: Registry, project: Project) -> TextGenerator:
    """``generate(prompt, max_tokens) -> text`` with the project's default model.

    The prompt is sent as one user message, without the project's system prompts; the
    model's ``model_api_parameters`` apply, ``max_tokens`` overrides theirs. The provider is
    built once here and loads its model or client on the first call. Errors are the
    provider's (UpstreamError, UpstreamTimeout, ComponentUnavailable).
    """
    model = select_model(project.config)
    provider = build_provider(registry, project.config, model)

    def generate(prompt: str, max_tokens: int) -> str:
        request = build_request([ChatMessage(Role.USER, prompt)], model, {"max_tokens": max_tokens})
        return provider.complete(request).text

    return generate
