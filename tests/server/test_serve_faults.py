"""kill -9 of `llamafarm serve` in the middle of an upload and of config PUTs: after a restart
everything acknowledged is there and intact, nothing half-written is visible, and the
temporary files of the interrupted writes are gone (issue 10, "Faults")."""

from __future__ import annotations

import hashlib
import signal
import socket
import threading
from pathlib import Path

import psutil
import pytest
import requests

from tests.jobs_fixtures import wait_until
from tests.server.test_tasks_serve import children, serve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
NS, PROJECT = "acme", "faults"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "served"
    d.mkdir()
    return d


def _leftovers(data_dir: Path) -> list[Path]:
    root = data_dir / "projects"
    return [
        p for p in root.rglob("*") if p.is_file() and (p.parent.name == ".tmp" or p.name.startswith(".tmp-"))
    ]


def _kill_9(server, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    redis, workers = children(data_dir)
    procs = [psutil.Process(r.pid) for r in [redis, *workers] if r.is_running()]
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    server.stop()
    psutil.wait_procs(procs, timeout=10)


def _create(base: str) -> str:
    requests.post(
        f"{base}/v1/projects/{NS}", json={"name": PROJECT, "config_template": "rag"}
    ).raise_for_status()
    project = f"{base}/v1/projects/{NS}/{PROJECT}"
    requests.post(
        f"{project}/datasets", json={"name": "docs", "data_processing_strategy": "universal_processor"}
    ).raise_for_status()
    return project


def _stalled_upload(port: int, path: str, sent: int, total: int) -> socket.socket:
    """A multipart upload that sends ``sent`` of ``total`` content bytes, then stalls."""
    boundary = "soakboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + total + len(tail)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(request + head + b"x" * sent)
    return sock


def test_kill_9_mid_upload_keeps_acknowledged_files_and_sweeps_the_partial_one(data_dir: Path) -> None:
    server = serve(data_dir)
    sock = None
    try:
        project = _create(server.url)
        body = b"An acknowledged upload about gliders and thermals.\n" * 100
        answer = requests.post(f"{project}/datasets/docs/data", files={"file": ("kept.txt", body)})
        assert answer.status_code in (200, 201), answer.text
        kept = answer.json()["hash"]
        sock = _stalled_upload(
            server.port, f"/v1/projects/{NS}/{PROJECT}/datasets/docs/data", 4 << 20, 8 << 20
        )
        wait_until(
            lambda: any(p.parent.name == ".tmp" for p in _leftovers(data_dir)), 60, what="a partial upload"
        )
        _kill_9(server, data_dir)
    finally:
        if sock is not None:
            sock.close()
        server.stop()
    assert _leftovers(data_dir)  # the crash left the partial upload behind...

    again = serve(data_dir)
    try:
        assert _leftovers(data_dir) == []  # ...and the next start swept it
        files = requests.get(f"{again.url}/v1/projects/{NS}/{PROJECT}/datasets").json()
        assert kept == hashlib.sha256(body).hexdigest()
        (docs,) = [d for d in files["datasets"] if d["name"] == "docs"]
        assert docs["files"] == [kept] and "big.txt" not in str(files)
        stored = [p for p in (data_dir / "projects").rglob(kept) if p.is_file()]
        assert stored and hashlib.sha256(stored[0].read_bytes()).hexdigest() == kept
    finally:
        again.stop()


def test_kill_9_during_config_puts_leaves_an_acknowledged_or_the_last_config(data_dir: Path) -> None:
    server = serve(data_dir)
    acknowledged: list[str] = []
    attempted: list[str] = []
    stop = threading.Event()
    try:
        project = _create(server.url)
        config = requests.get(project).json()["project"]["config"]

        def put_loop() -> None:
            session = requests.Session()
            i = 0
            while not stop.is_set():
                i += 1
                marker = f"version {i} " + "x" * 20_000  # a config of some size: a longer write
                attempted.append(marker)
                try:
                    r = session.put(project, json={"config": {**config, "description": marker}}, timeout=10)
                except requests.RequestException:
                    return
                if r.status_code == 200:
                    acknowledged.append(marker)

        writer = threading.Thread(target=put_loop, daemon=True)
        writer.start()
        wait_until(lambda: len(acknowledged) >= 5, 60, what="some PUTs acknowledged")
        _kill_9(server, data_dir)
        stop.set()
        writer.join(15)
    finally:
        stop.set()
        server.stop()

    again = serve(data_dir)
    try:
        answer = requests.get(f"{again.url}/v1/projects/{NS}/{PROJECT}")
        assert answer.status_code == 200, answer.text
        description = answer.json()["project"]["config"].get("description")
        # the last acknowledged config, or the one in flight when the server died
        assert description in (acknowledged[-1], *attempted[len(acknowledged) :]), description[:20]
        assert _leftovers(data_dir) == []
    finally:
        again.stop()
