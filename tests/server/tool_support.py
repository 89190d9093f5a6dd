"""Shared by the tool-calling and client-library tests: the example MCP server
(docs/examples/mcp/calculator_server.py) over stdio and over streamable HTTP, the scripted
tool-calling upstream (tests/fakes/tool_model.py), and a project config using them."""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from tests.servers import ChildProcess, free_port

REPO = Path(__file__).resolve().parents[2]
CALCULATOR = REPO / "docs" / "examples" / "mcp" / "calculator_server.py"
TOKEN_VAR = "LF_TEST_CALC_TOKEN"
TOKEN = "tok-9f8e7d6c5b4a-secret"


@contextlib.contextmanager
def mcp_http_server(log_dir: Path, transport: str = "http") -> Iterator[str]:
    """The calculator over streamable HTTP (or ``sse``) in a child process; yields its URL."""
    import os

    port = free_port()
    child = ChildProcess(
        [sys.executable, str(CALCULATOR), f"--{transport}", str(port)],
        log_dir / f"mcp-{transport}-{port}.log",
        dict(os.environ),
        new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if child.proc.poll() is not None:
                raise RuntimeError(f"MCP HTTP server exited:\n{child.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"MCP HTTP server did not listen:\n{child.log()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/{'mcp' if transport == 'http' else 'sse'}"
    finally:
        child.stop()


def tools_config(model_url: str, mcp_url: str, **mcp_extra: Any) -> dict[str, Any]:
    """``tooluser``: the scripted upstream with the calculator over stdio (``calc``) and over
    HTTP (``web``, so its tools are offered as ``web__add`` …) and one inline tool;
    ``plain``: the same upstream without tools."""
    upstream = {"provider": "openai", "model": "tool-model", "base_url": f"{model_url}/v1"}
    inline = {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Find an order by id (run by the client).",
            "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
        },
    }
    return {
        "version": "v1",
        "runtime": {
            "models": [
                {
                    "name": "tooluser",
                    **upstream,
                    "default": True,
                    "mcp_servers": ["calc", "web"],
                    "tools": [inline],
                },
                {"name": "plain", **upstream},
            ]
        },
        "mcp": {
            "servers": [
                {
                    "name": "calc",
                    "transport": "stdio",
                    "command": sys.executable,
                    "args": [str(CALCULATOR)],
                    "env": {"CALC_TOKEN": f"${{{TOKEN_VAR}}}"},
                    "timeout": 5,
                    "max_result_chars": 200,
                },
                {"name": "web", "transport": "http", "base_url": mcp_url},
            ],
            **mcp_extra,
        },
    }


def create_project(url: str, ns: str, name: str, config: dict[str, Any]) -> str:
    """Create ``ns/name`` with ``config`` on a running server; the project's URL base."""
    resp = requests.post(f"{url}/v1/projects/{ns}", json={"name": name}, timeout=30)
    assert resp.status_code == 201, resp.text
    put = requests.put(f"{url}/v1/projects/{ns}/{name}", json={"config": config}, timeout=30)
    assert put.status_code == 200, put.text
    return f"{url}/v1/projects/{ns}/{name}"
