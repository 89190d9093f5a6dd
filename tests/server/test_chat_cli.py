"""``llamafarm chat`` against a real server process."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from tests.conftest import ServerProcess
from tests.core.chat.chat_projects import chat_config


def test_chat_cli(cli_server: ServerProcess) -> None:
    url = cli_server.url  # the CLI tests' shared server (namespace team is this module's)
    assert requests.post(f"{url}/v1/projects/team", json={"name": "bot"}, timeout=30).status_code == 201
    assert (
        requests.put(f"{url}/v1/projects/team/bot", json={"config": chat_config()}, timeout=30).status_code
        == 200
    )

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "llamafarm_server.cli", "chat", "team", "bot", *args, "--server", url],
            capture_output=True,
            text=True,
            input=stdin,
            timeout=300,
        )

    first = cli("Say hello.", "--session", "cli-1", "--no-rag", "--max-tokens", "4")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() and "session: cli-1" in first.stderr
    second = cli("-", "--session", "cli-1", stdin="And again.")
    assert second.returncode == 0, second.stderr
    history = requests.get(f"{url}/v1/projects/team/bot/chat/sessions/cli-1/history", timeout=30).json()
    assert [m["content"] for m in history["messages"]][::2] == ["Say hello.", "And again."]
    assert history["messages"][1]["content"] == first.stdout.strip()

    as_json = cli("Hi", "--json", "--no-session")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["object"] == "chat.completion"

    bad = cli("Hi", "--model", "gpt-9")
    assert bad.returncode == 1 and "configured models: local" in bad.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "llamafarm_server.cli", "chat", "team", "ghost", "Hi", "--server", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "not found" in missing.stderr
