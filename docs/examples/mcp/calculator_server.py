"""A small MCP server written with the official ``mcp`` SDK: arithmetic and a secret check.

It is the example of docs/mcp.md ("Tools in chat") and the stdio and HTTP MCP server of the
tests. Run it

    python calculator_server.py                      # stdio (what llamafarm.yaml starts)
    python calculator_server.py --http 8765          # streamable HTTP at http://127.0.0.1:8765/mcp
    python calculator_server.py --sse 8766           # SSE at http://127.0.0.1:8766/sse

Tools: ``add``, ``multiply``, ``divide`` (fails on zero, as a tool error the model sees),
``sleep`` (for timeouts), ``shout`` (a long result, for the size limit), ``process_id`` and
``token_fingerprint`` (a hash of ``$CALC_TOKEN``, to check the server got its secret without
the secret itself ever being shown).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("calculator")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@server.tool()
def add(a: float, b: float) -> str:
    """Add two numbers."""
    return _number(a + b)


@server.tool()
def multiply(a: float, b: float) -> str:
    """Multiply two numbers."""
    return _number(a * b)


@server.tool()
def divide(a: float, b: float) -> str:
    """Divide a by b."""
    if b == 0:
        raise ToolError("division by zero")  # a message the model may see
    return _number(a / b)


@server.tool()
def sleep(seconds: float) -> str:
    """Wait, then say how long."""
    time.sleep(seconds)
    return f"slept {seconds}s"


@server.tool()
def shout(text: str, times: int = 1) -> str:
    """The text in capitals, repeated."""
    return text.upper() * times


@server.tool()
def process_id() -> str:
    """This server's process id (shows whether a server was kept or started again)."""
    return str(os.getpid())


@server.tool()
def token_fingerprint() -> str:
    """The first 12 hex digits of sha256($CALC_TOKEN), or 'unset'."""
    token = os.environ.get("CALC_TOKEN")
    return hashlib.sha256(token.encode()).hexdigest()[:12] if token else "unset"


def main() -> None:
    parser = argparse.ArgumentParser(description="calculator MCP server")
    parser.add_argument("--http", type=int, metavar="PORT", help="serve streamable HTTP on this port")
    parser.add_argument("--sse", type=int, metavar="PORT", help="serve SSE on this port")
    args = parser.parse_args()
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    elif args.sse:
        server.run("sse", host="127.0.0.1", port=args.sse)
    else:
        server.run()


if __name__ == "__main__":
    main()
