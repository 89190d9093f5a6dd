"""What searching a project costs through its MCP endpoint against the REST route: the same
query through ``POST …/rag/query``, through ``tools/call search`` as one JSON-RPC POST, and
through the mcp SDK's streamable-HTTP client on one connection (``call_tool`` each time).

A real ``llamafarm serve`` over the processed fda_rag example. Prints a table; asserts
nothing. Run: .venv/bin/python bench/mcp_server_search.py [queries]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lf_serve import Serve, check, machine, p50, pct  # noqa: E402

QUESTIONS = [
    "Which company's eye drops failed sterility testing?",
    "What must the seafood processor control in its HACCP plan?",
    "Which infusion pump complaints were not analysed?",
    "Which supplement claims to cure arthritis?",
]


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(QUESTIONS[i % len(QUESTIONS)])
        out.append((time.perf_counter() - start) * 1000)
    return out


async def sdk_times(url: str, n: int) -> tuple[float, list[float]]:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    start = time.perf_counter()
    async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        connect_ms = (time.perf_counter() - start) * 1000
        out = []
        for i in range(n):
            t = time.perf_counter()
            result = await session.call_tool("search", {"query": QUESTIONS[i % len(QUESTIONS)], "top_k": 5})
            assert not result.is_error
            out.append((time.perf_counter() - t) * 1000)
    return connect_ms, out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with tempfile.TemporaryDirectory() as tmp, Serve(Path(tmp) / "data", workers=0) as server:
        http = requests.Session()
        check(
            http.post(
                f"{server.url}/v1/examples/fda_rag/import-project",
                json={"namespace": "bench", "name": "fda", "process": False},
                timeout=60,
            )
        )
        base = f"{server.url}/v1/projects/bench/fda"
        check(http.post(f"{base}/datasets/fda_letters/process", json={}, timeout=600))

        def rest(q: str) -> None:
            check(http.post(f"{base}/rag/query", json={"query": q, "top_k": 5}, timeout=60))

        def rpc(q: str) -> None:
            call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                    "params": {"name": "search", "arguments": {"query": q, "top_k": 5}}}  # fmt: skip
            headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
            assert not check(http.post(f"{base}/mcp", json=call, headers=headers, timeout=60))["result"][
                "isError"
            ]

        for q in QUESTIONS:  # warm: the embedder and the indexes load on the first queries
            rest(q)
            rpc(q)
        rest_ms: list[float] = []
        rpc_ms: list[float] = []
        for _ in range(n // 4):  # interleaved, so load from elsewhere hits both alike
            rest_ms += timed(rest, 4)
            rpc_ms += timed(rpc, 4)
        rows = [("REST POST …/rag/query", rest_ms), ("MCP tools/call search (one POST)", rpc_ms)]
        connect_ms, sdk = asyncio.run(sdk_times(f"{base}/mcp", n))
        rows.append(("MCP SDK client, kept connection", sdk))

    print(f"# {machine()}")
    print(f"# {n} queries each over fda_rag (4 letters); SDK connect+initialize: {connect_ms:.0f} ms\n")
    print(f"| {'path':<34} | p50 ms | p95 ms |")
    print(f"|{'-' * 36}|--------|--------|")
    for name, values in rows:
        print(f"| {name:<34} | {p50(values):6.1f} | {pct(values, 0.95):6.1f} |")


if __name__ == "__main__":
    main()
