"""OpenAI-compatible client libraries, unchanged, against a real ``llamafarm serve``:
LangChain's ``ChatOpenAI`` (invoke, stream, a tool-calling round trip) and LlamaIndex's
``OpenAILike`` (chat, stream, complete). The model behind the project is the scripted
tool-calling upstream (tests/fakes/tool_model.py); the MCP tools of the server take part."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ServerProcess
from tests.fakes.tool_model import ToolModelServer
from tests.server.tool_support import TOKEN, TOKEN_VAR, create_project, mcp_http_server, tools_config


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("clients")
    (root / "data").mkdir()
    with ToolModelServer() as model, mcp_http_server(root) as mcp_url:
        server = ServerProcess(root / "data", env={TOKEN_VAR: TOKEN}).wait_ready()
        try:
            yield create_project(server.url, "clients", "bot", tools_config(model.url, mcp_url))
        finally:
            server.stop()


def _langchain(base: str, model: str = "plain"):  # type: ignore[no-untyped-def]
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=base, api_key="x", model=model, max_retries=0, timeout=60)


def test_langchain_invoke_and_stream(base: str) -> None:
    llm = _langchain(base)
    reply = llm.invoke("Hello there")
    assert reply.content == "You said: Hello there"
    pieces = list(llm.stream("Stream me"))
    assert len(pieces) > 2 and "".join(str(p.content) for p in pieces) == "You said: Stream me"


def test_langchain_tool_calling_round_trip(base: str) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"{len(city)} degrees in {city}"

    llm = _langchain(base, "tooluser").bind_tools([get_weather])
    messages = [HumanMessage('[[get_weather {"city": "Lima"}]]')]
    ai = llm.invoke(messages)
    assert [(c["name"], c["args"]) for c in ai.tool_calls] == [("get_weather", {"city": "Lima"})]
    messages += [
        ai,
        ToolMessage(get_weather.invoke(ai.tool_calls[0]["args"]), tool_call_id=ai.tool_calls[0]["id"]),
    ]
    final = llm.invoke(messages)
    assert final.content == "The answer is 4 degrees in Lima." and not final.tool_calls


def test_langchain_streamed_tool_calls_and_server_side_tools(base: str) -> None:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return city

    llm = _langchain(base, "tooluser").bind_tools([get_weather])
    chunks = list(llm.stream('[[get_weather {"city": "Oslo"}]]'))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("get_weather", {"city": "Oslo"})]
    # MCP tools run on the server: the client sees only the answer.
    answer = llm.invoke('[[add {"a": 20, "b": 22}]]')
    assert answer.content == "The answer is 42." and not answer.tool_calls


def _llama_index(base: str, model: str = "plain"):  # type: ignore[no-untyped-def]
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=model,
        api_base=base,
        api_key="x",
        is_chat_model=True,
        is_function_calling_model=True,
        timeout=60,
        max_retries=0,
    )


def test_llama_index_chat_stream_and_complete(base: str) -> None:
    from llama_index.core.llms import ChatMessage

    llm = _llama_index(base)
    reply = llm.chat(
        [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi LlamaIndex")]
    )
    assert reply.message.content == "You said: Hi LlamaIndex"
    deltas = [r.delta for r in llm.stream_chat([ChatMessage(role="user", content="stream this")])]
    assert len(deltas) > 2 and "".join(d or "" for d in deltas) == "You said: stream this"
    assert llm.complete("complete me").text == "You said: complete me"


def test_llama_index_with_server_side_mcp_tools(base: str) -> None:
    from llama_index.core.llms import ChatMessage

    llm = _llama_index(base, "tooluser")
    text = '[[multiply {"a": 6, "b": 7}]] [[web__add {"a": "$1", "b": 0.5}]]'
    reply = llm.chat([ChatMessage(role="user", content=text)])
    assert reply.message.content == "The answer is 42.5."
