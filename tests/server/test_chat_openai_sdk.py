"""The official openai SDK drives our endpoint on a real ``llamafarm serve`` process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from openai import OpenAI

from tests.conftest import ServerProcess
from tests.core.chat.chat_projects import chat_config

NS, PROJECT = "sdk", "bot"


def _create_project(url: str) -> None:
    assert requests.post(f"{url}/v1/projects/{NS}", json={"name": PROJECT}, timeout=30).status_code == 201
    put = requests.put(f"{url}/v1/projects/{NS}/{PROJECT}", json={"config": chat_config()}, timeout=30)
    assert put.status_code == 200, put.text


def _sdk(url: str) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1/projects/{NS}/{PROJECT}", api_key="x", max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("sdk") / "data"
    data_dir.mkdir()
    server = ServerProcess(data_dir).wait_ready()
    try:
        _create_project(server.url)
        yield server
    finally:
        server.stop()


def test_plain_completion(served: ServerProcess) -> None:
    resp = _sdk(served.url).chat.completions.create(
        model="local", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8
    )
    assert resp.object == "chat.completion" and resp.model == "local"
    assert resp.choices[0].message.role == "assistant" and resp.choices[0].message.content
    assert resp.usage is not None and 0 < resp.usage.completion_tokens <= 8
    assert resp.model_extra is not None and resp.model_extra["sources"] == []


def test_streaming(served: ServerProcess) -> None:
    stream = _sdk(served.url).chat.completions.create(
        model="local", messages=[{"role": "user", "content": "Name a colour."}], max_tokens=8, stream=True
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks).strip()


def test_session_header_round_trip(served: ServerProcess) -> None:
    sdk = _sdk(served.url)
    raw = sdk.chat.completions.with_raw_response.create(
        model="local",
        messages=[{"role": "user", "content": "My name is Ada."}],
        extra_headers={"X-Session-ID": "sdk-session"},
    )
    assert raw.headers["X-Session-ID"] == "sdk-session"
    first = raw.parse().choices[0].message.content
    sdk.chat.completions.create(
        model="local",
        messages=[{"role": "user", "content": "And yours?"}],
        extra_headers={"X-Session-ID": "sdk-session"},
    )
    history = requests.get(
        f"{served.url}/v1/projects/{NS}/{PROJECT}/chat/sessions/sdk-session/history", timeout=30
    )
    messages = history.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[1]["content"] == first


def test_sdk_errors_carry_our_detail(served: ServerProcess) -> None:
    import openai

    with pytest.raises(openai.BadRequestError) as err:
        _sdk(served.url).chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 400
    assert "configured models: local" in err.value.body["detail"]  # type: ignore[index]


def test_models_list_through_the_sdk(served: ServerProcess) -> None:
    ids = [m.id for m in _sdk(served.url).models.list()]
    assert ids == ["local"]


def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = ServerProcess(data_dir).wait_ready()
    try:
        _create_project(server.url)
        _sdk(server.url).chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": "Hi"}],
            extra_headers={"X-Session-ID": "keep"},
        )
    finally:
        server.stop()
    again = ServerProcess(data_dir).wait_ready()
    try:
        url = f"{again.url}/v1/projects/{NS}/{PROJECT}/chat/sessions/keep/history"
        messages = requests.get(url, timeout=30).json()["messages"]
        assert [m["content"] for m in messages][0] == "Hi" and len(messages) == 2
    finally:
        again.stop()
