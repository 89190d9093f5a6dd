"""Bench helpers: a real ``llamafarm serve`` child process on a free port, timing summaries,
and the machine description the result tables start with. Not a test fixture."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """``llamafarm serve`` (with its own Redis and ``workers`` workers) on ``data_dir``."""

    def __init__(self, data_dir: Path, workers: int = 1, cwd: Path | None = None, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"serve-{self.port}.log"
        full_env = {
            **os.environ,
            "LF_DATA_DIR": str(data_dir),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            **env,
        }
        cmd = [sys.executable, "-m", "llamafarm_server.cli", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*cmd, "--workers", str(workers)],
            env=full_env,
            stdout=open(self.log, "wb"),  # noqa: SIM115 (the child keeps it for its lifetime)
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,  # `python -m` puts the working directory first on sys.path
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"server exited:\n{self.log.read_text()[-3000:]}")
            try:
                requests.get(self.url + "/health/liveness", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.3)
        self.stop()
        sys.exit("server did not start in 120 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def check(resp: requests.Response) -> dict:
    if resp.status_code >= 400:
        sys.exit(f"{resp.request.method} {resp.url} -> {resp.status_code}: {resp.text[:2000]}")
    return resp.json()


def rag_project(session: requests.Session, url: str, ns: str, project: str, dataset: str) -> str:
    """Create ``ns/project`` from the ``rag`` template with ``dataset`` (``universal_processor``);
    return the project's API base URL."""
    check(session.post(f"{url}/v1/projects/{ns}", json={"name": project, "config_template": "rag"}))
    base = f"{url}/v1/projects/{ns}/{project}"
    body = {"name": dataset, "data_processing_strategy": "universal_processor"}
    check(session.post(f"{base}/datasets", json=body))
    return base


def stream_chat(session: requests.Session, base: str, content: str) -> None:
    """One streaming chat turn (8 tokens, temperature 0, no session) read to its end; a
    non-200 answer, an error event or a stream without ``[DONE]`` raises RuntimeError."""
    body = {
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 8,
        "stream": True,
        "temperature": 0,
    }
    done = False
    with session.post(
        f"{base}/chat/completions",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-No-Session": "1"},
        stream=True,
        timeout=300,
    ) as resp:
        if resp.status_code != 200:
            raise RuntimeError(f"chat -> {resp.status_code}: {resp.text[:200]}")
        for line in resp.iter_lines():
            if line == b"data: [DONE]":
                done = True
            elif line.startswith(b"data: ") and b'"error"' in line[:40]:
                raise RuntimeError(f"chat stream error: {line[:200]!r}")
    if not done:
        raise RuntimeError("chat stream ended without [DONE]")


ENDED = ("SUCCESS", "FAILURE", "REVOKED")


def wait_task(
    session: requests.Session, base: str, answer: dict, timeout: float = 7200, poll: float = 0.05
) -> dict:
    """Poll a processing task (``answer`` of POST …/process) to its end; its full view.

    Polls ``?summary=true`` (~1 ms of server time, bench/task_poll.py) every ``poll`` seconds,
    so a timed run ends within about that of the task. A server without summaries (an older
    checkout ignores the parameter; a current one answers ``summary=maybe`` with 400) is
    polled with the full view every 0.25 s, which costs it ~10 ms at 1,400 files."""
    task_id = answer.get("task_id")
    if not task_id:
        return answer
    url = f"{base}/tasks/{task_id}"
    if session.get(url, params={"summary": "maybe"}, timeout=60).status_code == 400:
        params, interval = {"summary": "true"}, poll
    else:
        params, interval = None, max(poll, 0.25)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check(session.get(url, params=params, timeout=60)).get("state") in ENDED:
            return check(session.get(url, timeout=60))
        time.sleep(interval)
    return answer


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
