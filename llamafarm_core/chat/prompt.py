"""The system messages of a turn and the plain prompt format used with base models.

A base model (the embedded Gemma 3 270M) has no chat template, so a conversation is written
as labelled turns ending with ``Assistant:``; the stop sequences end the answer where the
model would start writing a new turn itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from llamafarm_core.config.models import LlamaFarmConfig, RuntimeModel
from llamafarm_core.llm.types import ChatMessage, Role

LABELS = {Role.SYSTEM: "System", Role.USER: "User", Role.ASSISTANT: "Assistant", Role.TOOL: "Tool"}

# Where a base model starts inventing the next turn. "\n\nUser:" contains "\nUser:", so a
# single newline form catches both.
STOP_SEQUENCES: tuple[str, ...] = ("\nUser:", "\nSystem:", "\nAssistant:", "\nHuman:", "<end_of_turn>")


def config_system_messages(config: LlamaFarmConfig, model: RuntimeModel) -> list[ChatMessage]:
    """The project's prompts for ``model``: its ``prompts: [names]`` sets, else all sets.

    Every message of a prompt set is used with its own role, so a set may hold a few-shot
    example (user/assistant pairs) as well as system text.
    """
    messages = config.prompt_messages(model.prompts)
    out = []
    for m in messages:
        role = Role(m.role) if m.role in Role._value2member_map_ else Role.SYSTEM
        out.append(ChatMessage(role, m.content))
    return out


def render_plain(messages: Sequence[ChatMessage]) -> str:
    """``System: …\\n\\nUser: …\\nAssistant: …\\nUser: …\\nAssistant:``.

    All system messages are joined into one block at the top, whatever their position.
    """
    system = "\n\n".join(m.content.strip() for m in messages if m.role is Role.SYSTEM and m.content.strip())
    lines = [f"System: {system}\n"] if system else []
    for m in messages:
        if m.role is not Role.SYSTEM:
            lines.append(f"{LABELS[m.role]}: {m.content.strip()}")
    lines.append(f"{LABELS[Role.ASSISTANT]}:")
    return "\n".join(lines)


def stop_sequences(extra: Sequence[str] = ()) -> list[str]:
    """The base-model stops plus the request's own, without duplicates, in order."""
    return [s for s in dict.fromkeys((*extra, *STOP_SEQUENCES)) if s]  # linear: dicts keep order
