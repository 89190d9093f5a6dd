"""How the ollama provider speaks tools and formats in Ollama's terms (its native /api/chat:
tool-call arguments as objects, no call ids, ``format`` for JSON output)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from llamafarm_providers.ollama_api import OllamaProvider, _format, _message, _tool_calls

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.llm.types import ChatMessage, CompletionRequest, Role, ToolCall
from llamafarm_core.plugins.registry import Registry

TOOL = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


def test_messages_carry_tool_calls_as_objects_and_results_by_name() -> None:
    asked = ChatMessage(Role.ASSISTANT, "", (ToolCall("c1", "add", '{"a": 1, "b": 2}'),))
    assert _message(asked) == {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "add", "arguments": {"a": 1, "b": 2}}}],
    }
    result = ChatMessage(Role.TOOL, "3", tool_call_id="c1", name="add")
    assert _message(result) == {"role": "tool", "content": "3", "tool_name": "add"}


def test_answers_tool_calls_get_ids_and_json_arguments() -> None:
    message = SimpleNamespace(
        tool_calls=[SimpleNamespace(function=SimpleNamespace(name="add", arguments={"a": 1}))]
    )
    (call,) = _tool_calls(message)
    assert call.name == "add" and json.loads(call.arguments) == {"a": 1} and call.id.startswith("call_")
    assert _tool_calls(SimpleNamespace(tool_calls=None)) == []


def test_response_format_becomes_ollama_format() -> None:
    assert _format(None) is None and _format({"type": "text"}) is None
    assert _format({"type": "json_object"}) == "json"
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    assert _format({"type": "json_schema", "json_schema": {"name": "s", "schema": schema}}) == schema


def test_tools_are_sent_unless_tool_choice_is_none(registry: Registry) -> None:
    runtime = RuntimeModel(name="o", provider="ollama", model="llama3.1")
    provider: OllamaProvider = registry.build(PluginKind.MODEL_PROVIDER, "ollama", {}, model=runtime)  # type: ignore[assignment]
    request = CompletionRequest(
        [ChatMessage(Role.USER, "hi")], tools=[TOOL], response_format={"type": "json_object"}
    )
    args = provider._arguments(request)
    assert args["tools"] == [TOOL] and args["format"] == "json"
    request.tool_choice = "none"
    assert "tools" not in provider._arguments(request)
