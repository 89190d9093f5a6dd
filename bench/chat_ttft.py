"""Time to first token through our streaming endpoint vs llama-cpp-python called directly
with the same prompt. Prints a table; asserts nothing.

    .venv/bin/python bench/chat_ttft.py [--runs 20] [--max-tokens 16]

- **direct**: ``llama_cpp.Llama`` on the bundled Gemma 3 270M with the provider's settings
  (n_ctx, n_batch, threads), ``create_completion(prompt, stream=True)`` where ``prompt`` is
  what our provider sends for the same messages (``render_plain`` of the project's system
  prompt + the question); time until the first chunk with visible text.
- **HTTP**: a real ``llamafarm serve``, a project from the ``server`` template (same model,
  same system prompt), ``POST …/chat/completions`` with ``stream: true`` and no session;
  time until the first ``data:`` event that carries visible content.

Both clocks stop at the first *visible* text, so they time the same token: the bundled
Gemma's first token after ``Assistant:`` is usually a lone space, which llama.cpp streams and
our endpoint does not (answers are sent without leading whitespace); counting it would charge
our side one more token of generation (~12 ms here) that is not overhead.

Each run asks a different question (same list for both, so llama.cpp's prompt-prefix reuse
helps both alike); direct and HTTP alternate run by run, so load changes hit both.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lf_serve import Serve, check, machine, p50, pct  # noqa: E402

NS, PROJECT = "bench", "chat"
TARGET_MS = 10.0


def questions(n: int) -> list[str]:
    return [f"In one sentence: what is {i} plus {i + 3}?" for i in range(n)]


class Direct:
    def __init__(self, system: str, max_tokens: int) -> None:
        from llama_cpp import Llama
        from llamafarm_providers.llamacpp import LlamaCppConfig, default_threads

        from llamafarm_core.bundled import gemma_gguf_path
        from llamafarm_core.chat.prompt import render_plain
        from llamafarm_core.llm.types import ChatMessage, Role

        cfg = LlamaCppConfig()
        self.llm = Llama(
            model_path=str(gemma_gguf_path()),
            n_ctx=cfg.n_ctx,
            n_threads=default_threads(),
            n_batch=cfg.n_batch,
            verbose=False,
        )
        self.render = lambda q: render_plain([ChatMessage(Role.SYSTEM, system), ChatMessage(Role.USER, q)])
        self.max_tokens = max_tokens

    def __call__(self, question: str) -> float:
        t0 = time.perf_counter()
        first = None
        for chunk in self.llm.create_completion(
            self.render(question), max_tokens=self.max_tokens, temperature=0.0, stream=True
        ):
            if first is None and (chunk["choices"][0].get("text") or "").strip():
                first = time.perf_counter() - t0
        return (first or time.perf_counter() - t0) * 1000


class Http:
    def __init__(self, url: str, max_tokens: int) -> None:
        self.session = requests.Session()
        self.endpoint = f"{url}/v1/projects/{NS}/{PROJECT}/chat/completions"
        self.max_tokens = max_tokens

    def __call__(self, question: str) -> float:
        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": question}],
            "max_tokens": self.max_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        headers = {"X-No-Session": "1", "Content-Type": "application/json"}
        t0 = time.perf_counter()
        first = None
        with self.session.post(
            self.endpoint, data=json.dumps(body), headers=headers, stream=True, timeout=300
        ) as r:
            r.raise_for_status()
            for line in r.iter_lines():
                if first is None and line.startswith(b"data: ") and line != b"data: [DONE]":
                    delta = json.loads(line[6:])["choices"][0].get("delta", {})
                    if (delta.get("content") or "").strip():
                        first = time.perf_counter() - t0
        return (first or time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--max-tokens", type=int, default=16)
    args = ap.parse_args()
    qs = questions(args.runs + 3)
    with tempfile.TemporaryDirectory(prefix="lf-chatbench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        with Serve(data_dir, workers=0) as serve:
            check(requests.post(f"{serve.url}/v1/projects/{NS}", json={"name": PROJECT}, timeout=60))
            config = yaml.safe_load((data_dir / "projects" / NS / PROJECT / "llamafarm.yaml").read_text())
            system = config["prompts"][0]["messages"][0]["content"]
            direct, http = Direct(system, args.max_tokens), Http(serve.url, args.max_tokens)
            for q in qs[:3]:  # load the model in both processes
                direct(q), http(q)
            d_times, h_times = [], []
            for q in qs[3:]:
                d_times.append(direct(q))
                h_times.append(http(q))
    overhead = [h - d for h, d in zip(h_times, d_times, strict=True)]
    print(f"\nChat time to first token, {args.runs} runs each, alternating; {machine()}\n")
    print("| measure | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    print(f"| llama-cpp-python direct, same prompt | {p50(d_times):.1f} | {pct(d_times, 0.95):.1f} |")
    print(f"| HTTP chat/completions, stream | {p50(h_times):.1f} | {pct(h_times, 0.95):.1f} |")
    print(
        f"| overhead (HTTP - direct, per run) | {p50(overhead):.1f} | {pct(overhead, 0.95):.1f} |"
        f" target p50 ≤ {TARGET_MS:.0f} ms"
    )


if __name__ == "__main__":
    main()
