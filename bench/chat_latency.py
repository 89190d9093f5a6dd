"""Chat speed with the embedded Gemma 3 270M: the provider alone, then through a real
``llamafarm serve`` (non-streaming latency, streaming time to first token).

Prints a table; asserts nothing. Run: .venv/bin/python bench/chat_latency.py [runs]
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from llamafarm_providers.llamacpp import LlamaCppConfig, LlamaCppProvider

from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.llm.types import ChatMessage, CompletionRequest, Role, StreamDelta

QUESTION = "Continue the list: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,"
MAX_TOKENS = 64


def _request() -> CompletionRequest:
    messages = [ChatMessage(Role.SYSTEM, "You answer briefly."), ChatMessage(Role.USER, QUESTION)]
    return CompletionRequest(messages, max_tokens=MAX_TOKENS, temperature=0.0)


def bench_provider(runs: int) -> list[tuple[str, float, str]]:
    provider = LlamaCppProvider(
        LlamaCppConfig(), model=RuntimeModel(name="b", provider="llamacpp", model="gemma3-270m")
    )
    started = time.perf_counter()
    provider._load()
    rows = [("provider: model load (once per process)", time.perf_counter() - started, "s")]
    speeds, firsts = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        first = None
        for item in provider.stream(_request()):
            if isinstance(item, StreamDelta) and first is None:
                first = time.perf_counter() - t0
            elif not isinstance(item, StreamDelta):
                speeds.append(item.usage.completion_tokens / (time.perf_counter() - t0))
        firsts.append(first or 0.0)
    rows.append(("provider: time to first token", statistics.median(firsts), "s"))
    rows.append(("provider: generation", statistics.median(speeds), "tokens/s"))
    return rows


def bench_http(runs: int) -> list[tuple[str, float, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = Path(tempfile.mkdtemp())
    env = {**os.environ, "LF_DATA_DIR": str(data)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "llamafarm_server.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{url}/health/liveness", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        requests.post(f"{url}/v1/projects/bench", json={"name": "chat"}, timeout=30).raise_for_status()
        chat = f"{url}/v1/projects/bench/chat/chat/completions"
        body = {
            "messages": [{"role": "user", "content": QUESTION}],
            "max_tokens": MAX_TOKENS,
            "temperature": 0.0,
        }
        requests.post(chat, json=body, headers={"X-No-Session": "1"}, timeout=300)  # load the model
        plain, first = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            requests.post(chat, json=body, headers={"X-No-Session": "1"}, timeout=300).raise_for_status()
            plain.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with requests.post(
                chat, json={**body, "stream": True}, headers={"X-No-Session": "1"}, stream=True, timeout=300
            ) as r:
                lines = r.iter_lines()
                next(line for line in lines if line.startswith(b"data: "))
                first.append(time.perf_counter() - t0)
                for _line in lines:
                    pass
        return [
            (f"HTTP: non-streaming answer of <= {MAX_TOKENS} tokens", statistics.median(plain), "s"),
            ("HTTP: streaming, time to first token", statistics.median(first), "s"),
        ]
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = bench_provider(runs) + bench_http(runs)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>8}  unit   (runs={runs}, {os.cpu_count()} CPUs)")
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:>8.2f}  {unit}")


if __name__ == "__main__":
    main()
