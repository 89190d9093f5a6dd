"""Does long work starve short requests? ``GET`` of a project while N non-streaming chats
(the bundled Gemma, serialised by its model lock) are in flight, against the same GETs idle.
Prints a table; asserts nothing.

    .venv/bin/python bench/starvation.py [--chats 8] [--gets 40] [--max-tokens 48]

Before the separate executors (issue 10) each waiting chat held one of the default
executor's threads, so a GET waited for a free one. To measure the code as it was, run the
same script against another checkout: ``PYTHONPATH=/path/to/old:/path/to/old/plugins``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lf_serve import Serve, check, machine, p50, pct  # noqa: E402


def get_latencies(session: requests.Session, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        check(session.get(url, timeout=300))
        out.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--chats", type=int, default=8)
    ap.add_argument("--gets", type=int, default=40)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with Serve(data, workers=0) as serve:
            s = requests.Session()
            check(s.post(f"{serve.url}/v1/projects/bench", json={"name": "chat"}))
            project = f"{serve.url}/v1/projects/bench/chat"
            chat_url = f"{project}/chat/completions"
            body = {
                "messages": [{"role": "user", "content": "Write a short poem about the sea."}],
                "max_tokens": args.max_tokens,
            }
            check(s.post(chat_url, json=body, headers={"X-No-Session": "1"}, timeout=600))  # warm
            idle = get_latencies(s, project, args.gets)
            stop = threading.Event()

            def chat_loop() -> int:
                n, own = 0, requests.Session()
                while not stop.is_set():
                    check(own.post(chat_url, json=body, headers={"X-No-Session": "1"}, timeout=600))
                    n += 1
                return n

            with ThreadPoolExecutor(args.chats) as pool:
                futures = [pool.submit(chat_loop) for _ in range(args.chats)]
                time.sleep(2.0)  # let every chat get in line
                busy = get_latencies(s, project, args.gets)
                stop.set()
                chats = sum(f.result() for f in futures)
    print(f"machine: {machine()}")
    print(f"{args.chats} parallel non-streaming chats (max_tokens {args.max_tokens}), {chats} done")
    print(f"{'GET project':<24}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, values in (("idle", idle), (f"during {args.chats} chats", busy)):
        print(f"{label:<24}{p50(values):>10.1f}{pct(values, 0.95):>10.1f}{max(values):>10.1f}")


if __name__ == "__main__":
    main()
