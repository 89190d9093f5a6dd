"""The real server process over HTTP: every curl example of the reference's Projects, Health and
System sections returns the documented shape; raw paths are never normalised into traversal."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys

import requests

from tests.conftest import ServerProcess


def raw_get(server: ServerProcess, path: str) -> tuple[int, dict]:
    """GET with the path sent byte for byte (requests/yarl would normalise %2e%2e)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def test_reference_examples_against_a_real_server(server_process: ServerProcess) -> None:
    url = server_process.url
    assert requests.get(f"{url}/").json() == {"message": "Hello, World!"}
    info = requests.get(f"{url}/info").json()
    assert info["data_directory"] == str(server_process.data_dir) and info["version"]
    health = requests.get(f"{url}/health").json()
    assert health["status"] in {"healthy", "degraded", "unhealthy"}
    assert set(health["services"]) >= {"api", "storage"}
    assert requests.get(f"{url}/health/liveness").json() == {"status": "alive"}

    created = requests.post(
        f"{url}/v1/projects/my-org", json={"name": "chatbot", "config_template": "server"}
    )
    assert created.status_code == 201
    project = created.json()["project"]
    assert (project["namespace"], project["name"]) == ("my-org", "chatbot")
    assert project["config"]["version"] == "v1"

    listed = requests.get(f"{url}/v1/projects/my-org").json()
    assert listed["total"] == 1 and listed["projects"][0]["config"]["name"] == "chatbot"

    got = requests.get(f"{url}/v1/projects/my-org/chatbot").json()["project"]
    got["config"]["runtime"]["models"][0]["description"] = "updated"
    put = requests.put(f"{url}/v1/projects/my-org/chatbot", json={"config": got["config"]})
    assert put.json()["project"]["config"]["runtime"]["models"][0]["description"] == "updated"

    deleted = requests.delete(f"{url}/v1/projects/my-org/chatbot")
    assert deleted.json()["project"]["name"] == "chatbot"
    assert not (server_process.data_dir / "projects" / "my-org" / "chatbot").exists()
    assert requests.get(f"{url}/v1/projects/my-org/chatbot").status_code == 404


def test_encoded_traversal_is_rejected_not_normalised(server_process: ServerProcess) -> None:
    for path in ("/v1/projects/%2e%2e", "/v1/projects/acme/%2e%2e", "/v1/projects/%2E%2E/x"):
        status, body = raw_get(server_process, path)
        assert status == 400, (path, body)
        assert "must match" in body["detail"]


def test_cli_talks_to_the_server(server_process: ServerProcess) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "llamafarm_server.cli", *args, "--server", server_process.url],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert cli("projects", "create", "team", "helper").returncode == 0
    listed = json.loads(cli("projects", "list", "team", "--json").stdout)
    assert [(p["namespace"], p["name"]) for p in listed["projects"]] == [("team", "helper")]
    assert "team/helper" in cli("projects", "list", "team").stdout
    shown = json.loads(cli("projects", "show", "team", "helper", "--json").stdout)
    assert shown["project"]["config"]["name"] == "helper"
    dup = cli("projects", "create", "team", "helper")
    assert dup.returncode == 1 and "409" in dup.stderr and "already exists" in dup.stderr
    assert cli("projects", "delete", "team", "helper").returncode == 0
    assert json.loads(cli("projects", "list", "team", "--json").stdout)["projects"] == []


def test_cli_reports_an_unreachable_server_clearly() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "llamafarm_server.cli",
            "projects",
            "list",
            "x",
            "--server",
            "http://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "cannot reach the server" in out.stderr
