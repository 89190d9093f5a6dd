"""What an MCP tool call costs in a chat turn, per transport: the first call of a connection
(start or connect, initialise, list tools, call) against the following calls on the kept
connection — the reason stdio servers are started once per project and kept.

Uses the example server (docs/examples/mcp/calculator_server.py) through McpConnections.
Prints a table; asserts nothing. Run: .venv/bin/python bench/mcp_tools.py [calls]
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from llamafarm_core.config.mcp import McpServer
from llamafarm_core.tools.mcp_client import McpConnections

CALCULATOR = Path(__file__).resolve().parents[1] / "docs" / "examples" / "mcp" / "calculator_server.py"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _served(flag: str) -> Iterator[int]:
    port = _port()
    proc = subprocess.Popen([sys.executable, str(CALCULATOR), flag, str(port)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def measure(server: McpServer, calls: int) -> tuple[float, float, float]:
    """(first list+call ms, median later call ms, p95 later call ms) on a fresh connection set."""
    with McpConnections() as conns:
        start = time.perf_counter()
        conns.list_tools("bench", server)
        conns.call_tool("bench", server, "add", {"a": 1, "b": 2})
        first = (time.perf_counter() - start) * 1000
        times = []
        for i in range(calls):
            start = time.perf_counter()
            conns.call_tool("bench", server, "add", {"a": i, "b": 1})
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return first, statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rows = [("stdio", measure(McpServer(name="calc", command=sys.executable, args=[str(CALCULATOR)]), calls))]
    with _served("--http") as port:
        server = McpServer(name="calc", transport="http", base_url=f"http://127.0.0.1:{port}/mcp")
        rows.append(("http (streamable)", measure(server, calls)))
    with _served("--sse") as port:
        server = McpServer(name="calc", transport="sse", base_url=f"http://127.0.0.1:{port}/sse")
        rows.append(("sse", measure(server, calls)))
    print(
        f"{'transport':<20}{'first call ms':>15}{'kept: median ms':>18}{'kept: p95 ms':>15}   ({calls} calls)"
    )
    for name, (first, median, p95) in rows:
        print(f"{name:<20}{first:>15.1f}{median:>18.2f}{p95:>15.2f}")


if __name__ == "__main__":
    main()
