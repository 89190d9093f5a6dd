"""Plain prompt format for base models and the project's system messages."""

from __future__ import annotations

from llamafarm_core.chat.prompt import STOP_SEQUENCES, config_system_messages, render_plain, stop_sequences
from llamafarm_core.config.models import LlamaFarmConfig
from llamafarm_core.llm.types import ChatMessage, Role


def test_render_plain_labels_turns_and_ends_with_assistant() -> None:
    text = render_plain(
        [
            ChatMessage(Role.SYSTEM, "Be brief. "),
            ChatMessage(Role.USER, "Hi"),
            ChatMessage(Role.ASSISTANT, "Hello!"),
            ChatMessage(Role.USER, " What is 2+2? "),
        ]
    )
    assert text == "System: Be brief.\n\nUser: Hi\nAssistant: Hello!\nUser: What is 2+2?\nAssistant:"


def test_render_plain_joins_system_messages_at_the_top() -> None:
    text = render_plain(
        [ChatMessage(Role.SYSTEM, "A"), ChatMessage(Role.USER, "q"), ChatMessage(Role.SYSTEM, "B")]
    )
    assert text.startswith("System: A\n\nB\n")
    assert text.endswith("User: q\nAssistant:")


def test_render_plain_without_system() -> None:
    assert render_plain([ChatMessage(Role.USER, "q")]) == "User: q\nAssistant:"


def test_stop_sequences_put_request_stops_first_without_duplicates() -> None:
    stops = stop_sequences(["END", "\nUser:"])
    assert stops[0] == "END"
    assert stops.count("\nUser:") == 1
    assert set(STOP_SEQUENCES) <= set(stops)


def _config(prompts: list, model_prompts: list[str] | None) -> LlamaFarmConfig:
    return LlamaFarmConfig.model_validate(
        {
            "name": "p",
            "namespace": "n",
            "runtime": {
                "models": [{"name": "m", "provider": "llamacpp", "model": "x", "prompts": model_prompts}]
            },
            "prompts": prompts,
        }
    )


PROMPTS = [
    {"name": "a", "messages": [{"role": "system", "content": "from a"}]},
    {
        "name": "b",
        "messages": [{"role": "system", "content": "from b"}, {"role": "user", "content": "example"}],
    },
]


def test_all_prompt_sets_in_file_order_by_default() -> None:
    config = _config(PROMPTS, None)
    messages = config_system_messages(config, config.runtime.resolved_models()[0])
    assert [m.content for m in messages] == ["from a", "from b", "example"]
    assert messages[2].role is Role.USER


def test_a_model_picks_its_prompt_sets_by_name_in_its_order() -> None:
    config = _config(PROMPTS, ["b", "a"])
    messages = config_system_messages(config, config.runtime.resolved_models()[0])
    assert [m.content for m in messages] == ["from b", "example", "from a"]
