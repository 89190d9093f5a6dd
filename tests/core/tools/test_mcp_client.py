"""McpConnections against the example MCP server (docs/examples/mcp/calculator_server.py)
over all three transports: stdio child kept per scope, HTTP and SSE servers; limits and
failures."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamafarm_core.config.mcp import McpServer
from llamafarm_core.errors import UpstreamError, UpstreamTimeout
from llamafarm_core.tools.mcp_client import McpConnections
from tests.server.tool_support import CALCULATOR, mcp_http_server
from tests.servers import free_port


def _stdio(**fields: object) -> McpServer:
    return McpServer(name="calc", command=sys.executable, args=[str(CALCULATOR)], **fields)  # type: ignore[arg-type]


@pytest.fixture
def connections() -> Iterator[McpConnections]:
    with McpConnections() as conns:
        yield conns


def test_stdio_server_is_started_once_per_scope_and_stopped_on_close(connections: McpConnections) -> None:
    import psutil

    server = _stdio()
    names = {t.name for t in connections.list_tools("p1", server)}
    assert {"add", "multiply", "divide", "process_id"} <= names
    add = next(t for t in connections.list_tools("p1", server) if t.name == "add")
    assert add.openai()["function"]["parameters"]["properties"].keys() == {"a", "b"}
    pid = connections.call_tool("p1", server, "process_id", {}).text
    assert connections.call_tool("p1", server, "process_id", {}).text == pid  # kept
    assert connections.call_tool("p2", server, "process_id", {}).text != pid  # another project
    assert connections.call_tool("p1", server, "add", {"a": 2, "b": 40}).text == "42"
    connections.close()
    process = psutil.Process(int(pid)) if psutil.pid_exists(int(pid)) else None
    assert process is None or process.status() == psutil.STATUS_ZOMBIE or not process.is_running()


def test_release_stops_the_servers_a_project_no_longer_has(connections: McpConnections) -> None:
    import psutil

    kept, changed = _stdio(), _stdio(timeout=7)  # two entries (the key hashes the settings)
    pids = {
        (scope, s.timeout): int(connections.call_tool(scope, s, "process_id", {}).text)
        for scope, s in (("p1", kept), ("p1", changed), ("p2", kept))
    }
    assert len(set(pids.values())) == 3

    def stopped(pid: int) -> bool:
        if not psutil.pid_exists(pid):
            return True
        process = psutil.Process(pid)
        psutil.wait_procs([process], timeout=10)
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE

    assert connections.release("p1", [kept]) == 1
    assert stopped(pids[("p1", 7)])
    assert int(connections.call_tool("p1", kept, "process_id", {}).text) == pids[("p1", kept.timeout)]
    assert connections.release("p1") == 1  # the project is gone: all of its servers
    assert stopped(pids[("p1", kept.timeout)])
    assert int(connections.call_tool("p2", kept, "process_id", {}).text) == pids[("p2", kept.timeout)]
    assert connections.release("nowhere") == 0
    assert McpConnections().release("p1") == 0  # nothing started: nothing to do


def test_tool_filter_errors_and_cut_results(connections: McpConnections) -> None:
    server = _stdio(tools=["add", "shout", "divide"], max_result_chars=100)
    assert sorted(t.name for t in connections.list_tools("p", server)) == ["add", "divide", "shout"]
    failed = connections.call_tool("p", server, "divide", {"a": 1, "b": 0})
    assert failed.is_error and "division by zero" in failed.text
    bad_args = connections.call_tool("p", server, "add", {"a": "x"})
    assert bad_args.is_error
    long = connections.call_tool("p", server, "shout", {"text": "abc", "times": 100})
    assert long.text == "ABC" * 33 + "A" + "\n[cut: the result was 300 characters]"


def test_a_slow_call_times_out_and_the_server_stays_usable(connections: McpConnections) -> None:
    server = _stdio(timeout=1)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout, match=r"mcp server 'calc' .* tool 'sleep' did not answer within 1s"):
        connections.call_tool("p", server, "sleep", {"seconds": 20})
    assert time.monotonic() - started < 5
    assert connections.call_tool("p", server, "add", {"a": 1, "b": 1}).text == "2"


def test_servers_that_cannot_start_or_be_reached_fail_fast(connections: McpConnections) -> None:
    missing = McpServer(name="gone", command="/nonexistent/mcp-server")
    with pytest.raises(
        UpstreamError, match=r"mcp server 'gone' \(stdio: /nonexistent/mcp-server\) failed to start"
    ):
        connections.list_tools("p", missing)
    crashing = McpServer(
        name="crash", command=sys.executable, args=["-c", "import sys; sys.exit(3)"], connect_timeout=5
    )
    started = time.monotonic()
    with pytest.raises((UpstreamError, UpstreamTimeout), match="mcp server 'crash'"):
        connections.list_tools("p", crashing)
    assert time.monotonic() - started < 12
    closed = McpServer(name="closed", transport="http", base_url=f"http://127.0.0.1:{free_port()}/mcp")
    with pytest.raises(UpstreamError, match=r"mcp server 'closed' \(http\) failed to start or connect"):
        connections.list_tools("p", closed)


def test_env_placeholders_are_expanded_and_never_shown(
    connections: McpConnections, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    monkeypatch.setenv("LF_TEST_SECRET_TOKEN", "very-secret-value")
    server = _stdio(env={"CALC_TOKEN": "${LF_TEST_SECRET_TOKEN}"})
    out = connections.call_tool("p", server, "token_fingerprint", {})
    assert out.text == hashlib.sha256(b"very-secret-value").hexdigest()[:12]
    broken = McpServer(name="bad", command="/nonexistent/${LF_TEST_SECRET_TOKEN}")
    with pytest.raises(UpstreamError) as err:
        connections.list_tools("p", broken)
    assert "very-secret-value" not in str(err.value)


@pytest.mark.parametrize("transport", ["http", "sse"])
def test_http_and_sse_servers(connections: McpConnections, tmp_path: Path, transport: str) -> None:
    with mcp_http_server(tmp_path, transport) as url:
        server = McpServer(name="remote", transport=transport, base_url=url, headers={"X-Test": "1"})  # type: ignore[arg-type]
        assert "multiply" in {t.name for t in connections.list_tools("p", server)}
        assert connections.call_tool("p", server, "multiply", {"a": 6, "b": 7}).text == "42"
