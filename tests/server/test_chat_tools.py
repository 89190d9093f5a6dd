"""Tools in chat on a real ``llamafarm serve``: MCP tools run by the server (the example
calculator over stdio and over streamable HTTP), tools for the client (inline and per
request), limits and failures. The model is the scripted tool-calling upstream
(tests/fakes/tool_model.py), driven through the official openai SDK."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openai import OpenAI

from tests.conftest import ServerProcess
from tests.fakes.tool_model import ToolModelServer
from tests.server.tool_support import TOKEN, TOKEN_VAR, create_project, mcp_http_server, tools_config

TWO_STEPS = '[[add {"a": 2, "b": 3}]] then [[web__multiply {"a": "$1", "b": 4}]]'


class Served:
    def __init__(self, server: ServerProcess, model: ToolModelServer, mcp_url: str) -> None:
        self.server, self.model, self.mcp_url = server, model, mcp_url
        self.base = create_project(server.url, "tools", "bot", tools_config(model.url, mcp_url))

    def sdk(self, base: str | None = None) -> OpenAI:
        return OpenAI(base_url=base or self.base, api_key="x", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("tools")
    (root / "data").mkdir()
    with ToolModelServer() as model, mcp_http_server(root) as mcp_url:
        server = ServerProcess(root / "data", env={TOKEN_VAR: TOKEN}).wait_ready()
        try:
            yield Served(server, model, mcp_url)
        finally:
            server.stop()


def _ask(served: Served, text: str, **extra: Any) -> Any:
    return served.sdk().chat.completions.create(
        model="tooluser", messages=[{"role": "user", "content": text}], **extra
    )


def test_two_tool_calls_on_two_servers_give_the_right_answer(served: Served) -> None:
    resp = _ask(served, TWO_STEPS)
    choice = resp.choices[0]
    assert choice.message.content == "The answer is 20."  # (2 + 3) * 4, computed by the MCP servers
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    made = resp.model_extra["tool_calls_made"]
    assert [(m["function"]["name"], m["server"], m["output"]) for m in made] == [
        ("add", "calc", "5"),
        ("web__multiply", "web", "20"),
    ]
    assert json.loads(made[1]["function"]["arguments"]) == {"a": 5, "b": 4}
    # The upstream was offered MCP tools, the inline tool, and got the results fed back.
    first, last = served.model.state.requests[-2], served.model.state.requests[-1]
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"add", "multiply", "web__add", "web__multiply", "lookup_order"} <= offered
    assert [m["role"] for m in last["messages"]][-4:] == ["assistant", "tool", "assistant", "tool"]


def test_two_tool_calls_streamed(served: Served) -> None:
    stream = _ask(served, TWO_STEPS, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The answer is 20."
    made = [m for c in chunks for m in (c.model_extra or {}).get("tool_calls_made") or []]
    assert [(m["function"]["name"], m["output"]) for m in made] == [("add", "5"), ("web__multiply", "20")]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_request_tools_come_back_to_the_client_and_the_round_trip_ends(served: Served) -> None:
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    question = {"role": "user", "content": '[[get_weather {"city": "Oslo"}]]'}
    sdk = served.sdk()
    resp = sdk.chat.completions.create(model="tooluser", messages=[question], tools=[weather])
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Oslo"}
    assert resp.model_extra["tool_calls_made"] == []
    answer = sdk.chat.completions.create(
        model="tooluser",
        tools=[weather],
        messages=[
            question,
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "-3 C and snow"},
        ],
    )
    assert answer.choices[0].message.content == "The answer is -3 C and snow."


def test_inline_config_tool_is_offered_and_returned_streaming(served: Served) -> None:
    chunks = list(_ask(served, '[[lookup_order {"id": "A-17"}]]', stream=True))
    calls = [t for c in chunks if c.choices for t in c.choices[0].delta.tool_calls or []]
    assert [(t.function.name, json.loads(t.function.arguments)) for t in calls] == [
        ("lookup_order", {"id": "A-17"})
    ]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_tool_errors_and_long_results_go_back_to_the_model(served: Served) -> None:
    resp = _ask(served, '[[divide {"a": 1, "b": 0}]]')
    (made,) = resp.model_extra["tool_calls_made"]
    assert made["is_error"] and "division by zero" in made["output"]
    assert "division by zero" in resp.choices[0].message.content
    resp = _ask(served, '[[shout {"text": "ab", "times": 500}]]')  # 1000 characters; calc keeps 200
    (made,) = resp.model_extra["tool_calls_made"]
    assert made["output"].startswith("AB" * 100) and "[cut: the result was 1000 characters]" in made["output"]


def test_env_secret_reaches_the_server_and_never_the_client(served: Served) -> None:
    resp = _ask(served, "[[token_fingerprint]]")
    expected = hashlib.sha256(TOKEN.encode()).hexdigest()[:12]
    assert resp.choices[0].message.content == f"The answer is {expected}."
    config = requests.get(served.base, timeout=30).text
    assert TOKEN not in resp.model_dump_json() and TOKEN not in config and f"${{{TOKEN_VAR}}}" in config
    assert TOKEN not in served.server.log(None)


def test_tool_rounds_are_limited(served: Served) -> None:
    base = create_project(
        served.server.url,
        "tools",
        "limited",
        tools_config(served.model.url, served.mcp_url, max_tool_rounds=1),
    )
    steps = '[[add {"a": 1, "b": 1}]] [[add {"a": "$1", "b": 1}]] [[add {"a": "$2", "b": 1}]]'
    resp = served.sdk(base).chat.completions.create(
        model="tooluser", messages=[{"role": "user", "content": steps}]
    )
    assert [m["output"] for m in resp.model_extra["tool_calls_made"]] == ["2"]
    # The last round offers no tools, so the model has to answer in words.
    assert served.model.state.requests[-1].get("tools") is None
    assert resp.choices[0].finish_reason == "stop" and resp.choices[0].message.content.startswith(
        "I cannot use add"
    )


def test_a_tool_call_slower_than_the_limit_is_a_504_not_a_hang(served: Served) -> None:
    started = time.monotonic()
    resp = requests.post(
        f"{served.base}/chat/completions",
        json={"model": "tooluser", "messages": [{"role": "user", "content": '[[sleep {"seconds": 30}]]'}]},
        timeout=60,
    )
    assert resp.status_code == 504, resp.text
    assert "mcp server 'calc'" in resp.json()["detail"] and "5s" in resp.json()["detail"]
    assert time.monotonic() - started < 20
    assert _ask(served, '[[add {"a": 40, "b": 2}]]').choices[0].message.content == "The answer is 42."


def test_a_server_that_cannot_start_is_a_clear_502(served: Served) -> None:
    config = tools_config(served.model.url, served.mcp_url)
    config["mcp"]["servers"][0].update(command="/nonexistent/mcp-server", args=[])
    base = create_project(served.server.url, "tools", "broken", config)
    resp = requests.post(
        f"{base}/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}, timeout=60
    )
    assert resp.status_code == 502, resp.text
    assert "mcp server 'calc'" in resp.json()["detail"] and "/nonexistent/mcp-server" in resp.json()["detail"]
    # A model without MCP servers in the same project is unaffected.
    plain = requests.post(
        f"{base}/chat/completions",
        json={"model": "plain", "messages": [{"role": "user", "content": "hi"}]},
        timeout=60,
    )
    assert plain.status_code == 200 and plain.json()["choices"][0]["message"]["content"] == "You said: hi"


def test_openai_fields_reach_the_upstream(served: Served) -> None:
    resp = served.sdk().chat.completions.create(
        model="plain",
        messages=[
            {"role": "developer", "content": "Be exact."},
            {
                "role": "user",
                "name": "ada",
                "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}],
            },
        ],
        response_format={"type": "json_object"},
        seed=7,
        n=1,
        logprobs=False,
        tool_choice="none",
        tools=[{"type": "function", "function": {"name": "noop"}}],
    )
    assert json.loads(resp.choices[0].message.content) == {"answer": "You said: first\nsecond"}
    sent = served.model.state.requests[-1]
    assert (
        sent["seed"] == 7
        and sent["response_format"] == {"type": "json_object"}
        and sent["tool_choice"] == "none"
    )
    assert sent["messages"][0] == {"role": "system", "content": "Be exact."}
    assert sent["messages"][-1] == {"role": "user", "content": "first\nsecond", "name": "ada"}


@pytest.mark.parametrize(
    ("server", "needle"),
    [
        ({"name": "x", "transport": "ftp", "command": "x"}, "mcp.servers[0].transport"),
        ({"name": "x", "transport": "stdio"}, "mcp.servers[0]"),
        ({"name": "x", "transport": "http"}, "needs a base_url"),
    ],
)
def test_bad_mcp_config_is_a_422_naming_the_path(served: Served, server: dict[str, Any], needle: str) -> None:
    config = tools_config(served.model.url, served.mcp_url)
    config["mcp"]["servers"] = [server]
    config["runtime"]["models"][0]["mcp_servers"] = ["x"]
    resp = requests.put(served.base, json={"config": config}, timeout=30)
    assert resp.status_code == 422, resp.text
    assert needle in resp.json()["detail"]


def test_unknown_mcp_server_name_on_a_model_is_a_422(served: Served) -> None:
    config = tools_config(served.model.url, served.mcp_url)
    config["runtime"]["models"][0]["mcp_servers"] = ["calc", "nope"]
    resp = requests.put(served.base, json={"config": config}, timeout=30)
    assert resp.status_code == 422 and "nope" in resp.json()["detail"]


def test_kept_stdio_server_is_stopped_with_the_server(tmp_path: Path) -> None:
    """The stdio server is started once and kept; stopping llamafarm stops it."""
    import psutil

    with ToolModelServer() as model:
        server = ServerProcess(tmp_path, env={TOKEN_VAR: TOKEN}).wait_ready()
        try:
            config = tools_config(model.url, "http://127.0.0.1:9/mcp")
            config["runtime"]["models"][0]["mcp_servers"] = ["calc"]
            base = create_project(server.url, "tools", "kept", config)
            for _ in range(2):
                body = {"messages": [{"role": "user", "content": '[[add {"a": 1, "b": 2}]]'}]}
                assert (
                    requests.post(f"{base}/chat/completions", json=body, timeout=60).json()["choices"][0][
                        "message"
                    ]["content"]
                    == "The answer is 3."
                )
            children = [
                p
                for p in psutil.Process(server.proc.pid).children(recursive=True)
                if "calculator" in " ".join(p.cmdline())
            ]
            assert len(children) == 1
        finally:
            server.stop()
        psutil.wait_procs(children, timeout=10)
        assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in children)


def test_stdio_servers_stop_when_their_entry_changes_or_the_project_is_deleted(served: Served) -> None:
    """A project's kept stdio server exits when the config drops or changes its entry, and
    when the project is deleted, not only when llamafarm stops."""
    import psutil

    config = tools_config(served.model.url, served.mcp_url)
    config["runtime"]["models"][0]["mcp_servers"] = ["calc"]
    base = create_project(served.server.url, "tools", "churn", config)

    def server_pid() -> psutil.Process:
        body = {"messages": [{"role": "user", "content": "[[process_id {}]]"}]}
        resp = requests.post(f"{base}/chat/completions", json=body, timeout=60)
        assert resp.status_code == 200, resp.text
        answer = resp.json()["choices"][0]["message"]["content"]
        return psutil.Process(int(answer.removeprefix("The answer is ").rstrip(".")))

    def gone(process: psutil.Process) -> bool:
        psutil.wait_procs([process], timeout=10)
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE

    first = server_pid()
    assert server_pid().pid == first.pid  # kept across turns
    config["runtime"]["models"][1]["name"] = "plain2"  # the mcp section is unchanged: kept
    assert requests.put(base, json={"config": config}, timeout=30).status_code == 200
    assert first.is_running() and server_pid().pid == first.pid
    config["mcp"]["servers"][0]["timeout"] = 6  # the entry changed: the old process stops
    assert requests.put(base, json={"config": config}, timeout=30).status_code == 200
    assert gone(first)
    second = server_pid()
    assert second.pid != first.pid and second.is_running()
    assert requests.delete(base, timeout=30).status_code == 200
    assert gone(second)


def test_a_session_keeps_the_client_tool_round_trip(served: Served) -> None:
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    question = {"role": "user", "content": '[[get_weather {"city": "Rome"}]]'}
    headers = {"X-Session-ID": "tool-session"}
    url = f"{served.base}/chat/completions"
    first = requests.post(
        url, json={"messages": [question], "tools": [weather]}, headers=headers, timeout=60
    ).json()
    call = first["choices"][0]["message"]["tool_calls"][0]
    asked = {"role": "assistant", "content": None, "tool_calls": [call]}
    result = {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}
    body = {"messages": [question, asked, result], "tools": [weather]}
    second = requests.post(url, json=body, headers=headers, timeout=60)
    assert (
        second.status_code == 200
        and second.json()["choices"][0]["message"]["content"] == "The answer is sunny."
    )
    history = requests.get(f"{served.base}/chat/sessions/tool-session/history", timeout=30).json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "tool", "assistant"]
    # The resent conversation was recognised: the upstream saw each message once.
    assert [m["role"] for m in served.model.state.requests[-1]["messages"]] == ["user", "assistant", "tool"]


def test_image_parts_go_to_a_provider_that_takes_them(served: Served) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    content = [{"type": "text", "text": "What is this?"}, image]
    resp = served.sdk().chat.completions.create(
        model="plain", messages=[{"role": "user", "content": content}]
    )
    assert resp.choices[0].message.content == "You said: What is this?"
    assert served.model.state.requests[-1]["messages"][-1]["content"] == content


def test_parallel_calls_in_one_round_and_a_mixed_round(served: Served) -> None:
    both = '[[add {"a": 1, "b": 2}]] & [[web__multiply {"a": 3, "b": 4}]] then [[add {"a": "$1", "b": "$2"}]]'
    resp = _ask(served, both)
    assert [m["output"] for m in resp.model_extra["tool_calls_made"]] == ["3", "12", "15"]
    assert resp.choices[0].message.content == "The answer is 15."
    round_two = served.model.state.requests[-2]["messages"]
    assert [m["role"] for m in round_two][-3:] == ["assistant", "tool", "tool"]
    assert len(round_two[-3]["tool_calls"]) == 2
    # A round mixing an MCP tool and a client tool: the server runs its own, returns the other.
    mixed = '[[add {"a": 5, "b": 5}]] & [[lookup_order {"id": "B-2"}]]'
    resp = _ask(served, mixed)
    assert [m["output"] for m in resp.model_extra["tool_calls_made"]] == ["10"]
    (call,) = resp.choices[0].message.tool_calls
    assert call.function.name == "lookup_order" and resp.choices[0].finish_reason == "tool_calls"
