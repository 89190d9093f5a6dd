"""text_generator: the project's default model as a plain function."""

from __future__ import annotations

from llamafarm_core.llm.generate import text_generator
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.settings import Settings


def test_text_generator_answers_with_the_default_model(
    make_project, settings: Settings, registry: Registry
) -> None:  # type: ignore[no-untyped-def]
    generate = text_generator(settings, registry, make_project())
    first = generate("List two synonyms of 'fast':", 6)
    assert first.strip()
    assert first == generate("List two synonyms of 'fast':", 6)  # temperature 0 in the project
    assert len(generate("Write a long essay about rivers.", 2).split()) <= 4
