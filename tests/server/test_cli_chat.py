"""``llamafarm chat`` against a live server and the bundled model: one-shot with sources,
and an interactive chat driven through a pseudo-terminal (session kept, /sources, /model,
/reset)."""

from __future__ import annotations

import json
import os
import sys

import pexpect
import pytest
import requests

from tests.conftest import ServerProcess
from tests.server.cli_support import LF, json_of, ok, run_cli

pytestmark = pytest.mark.slow
NS, PROJECT = "talk", "kb"
QUESTION = "What do gliders climb in?"


@pytest.fixture(scope="module")
def server(cli_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    """The CLI tests' server, with a RAG project whose one document is processed."""
    s, root = cli_server, tmp_path_factory.mktemp("chat")
    ok(run_cli(s.url, "projects", "create", NS, PROJECT, "--template", "rag"))
    ok(run_cli(s.url, "datasets", "create", NS, PROJECT, "notes"))
    (root / "gliders.txt").write_text("Gliders climb in rising warm air called thermals.\n")
    ok(run_cli(s.url, "datasets", "upload", NS, PROJECT, "notes", str(root / "gliders.txt")))
    ok(run_cli(s.url, "datasets", "process", NS, PROJECT, "notes"))
    return s


def history(server: ServerProcess, session: str) -> list[str]:
    resp = requests.get(
        f"{server.url}/v1/projects/{NS}/{PROJECT}/chat/sessions/{session}/history", timeout=30
    )
    assert resp.status_code == 200, resp.text
    return [m["content"] for m in resp.json()["messages"] if m["role"] == "user"]


def test_one_shot_prints_the_answer_then_its_sources(server: ServerProcess) -> None:
    answered = ok(
        run_cli(server.url, "chat", NS, PROJECT, QUESTION, "--max-tokens", "12", "--session", "one")
    )
    answer, _, sources = answered.stdout.partition("\nsources")
    assert answer.strip()
    assert "gliders.txt" in sources and "thermals" in sources
    assert "session: one" in answered.stderr
    assert history(server, "one") == [QUESTION]

    as_json = json_of(
        run_cli(server.url, "chat", NS, PROJECT, QUESTION, "--max-tokens", "4", "--json", "--no-session")
    )
    assert as_json["object"] == "chat.completion"
    assert as_json["sources"][0]["filename"] == "gliders.txt"

    bad = run_cli(server.url, "chat", NS, PROJECT, "hi", "--model", "gpt-9")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "error (400): unknown model 'gpt-9'; configured models: default"
    ]


def test_interactive_chat_keeps_its_session_and_takes_commands(server: ServerProcess) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LF_URL"}
    argv = [*LF[1:], "chat", NS, PROJECT, "--max-tokens", "8", "--session", "tty-1", "--url", server.url]
    child = pexpect.spawn(sys.executable, argv, env=env, timeout=180, encoding="utf-8", dimensions=(40, 200))
    try:
        child.expect("/help for commands")
        child.expect_exact("you> ")
        child.sendline(QUESTION)
        child.expect_exact("assistant> ")
        child.expect_exact("you> ")  # the streamed answer ended
        child.sendline("/sources")
        child.expect(r"1\s+│\s+gliders\.txt")
        child.expect_exact("you> ")

        child.sendline("/model nope")
        child.expect_exact("model: nope")
        child.sendline("hi")
        child.expect_exact(
            "unknown model 'nope'; configured models: default"
        )  # one failed turn, chat goes on
        child.expect_exact("you> ")
        child.sendline("/model default")
        child.expect_exact("you> ")
        child.sendline("And kites?")
        child.expect_exact("assistant> ")
        child.expect_exact("you> ")

        child.sendline("/reset")
        child.expect_exact("new session")
        child.sendline("Hello there")
        child.expect_exact("you> ")
        child.sendline("/bogus")
        child.expect_exact("unknown command /bogus")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert history(server, "tty-1") == [QUESTION, "And kites?"]  # the reset left it behind


def test_interactive_chat_reads_a_pipe_too(server: ServerProcess) -> None:
    piped = ok(
        run_cli(
            server.url,
            "chat",
            NS,
            PROJECT,
            "--max-tokens",
            "4",
            "--no-rag",
            "--json",
            stdin="Hello\n/sources\n/quit\n",
        )
    )
    first, sources = [json.loads("{" + part) for part in piped.stdout.strip().lstrip("{").split("\n{")]
    assert first["content"] and first["session_id"] and first["sources"] == []
    assert sources == {"sources": []}
