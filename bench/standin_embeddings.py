"""A stand-in for an OpenAI-compatible embeddings server, for benchmarks that must push more
text than the bundled model can embed in a session (bench/ingest_memory.py ``--embedder
stand-in``).

It speaks the real wire protocol (``POST /v1/embeddings`` with ``input`` a list of strings,
answered with ``{"object": "list", "data": [{"index", "embedding"}], ...}``) so the product's
own ``OpenAIEmbedder`` plugin, through the official ``openai`` SDK, is what calls it. The
vectors are not meaningful: each is a deterministic, unit-length pseudo-random vector seeded
by a hash of its text. Use it to measure what the pipeline around the embedder costs, never
retrieval quality.

    with serve_standin(dimension=384) as base_url:   # "http://127.0.0.1:PORT/v1"
        ...
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


def vector(text: str, dimension: int) -> list[float]:
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    v = np.random.default_rng(seed).standard_normal(dimension, dtype=np.float32)
    return [round(float(x), 6) for x in v / np.linalg.norm(v)]


def _handler(dimension: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            texts = body.get("input")
            if self.path.rstrip("/") != "/v1/embeddings" or not isinstance(texts, list):
                self._send(404, {"error": {"message": "only POST /v1/embeddings with a list input"}})
                return
            data = [
                {"object": "embedding", "index": i, "embedding": vector(str(t), dimension)}
                for i, t in enumerate(texts)
            ]
            self._send(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": body.get("model", "stand-in"),
                    "usage": {"prompt_tokens": 0, "total_tokens": 0},
                },
            )

        def _send(self, status: int, payload: dict) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    return Handler


@contextmanager
def serve_standin(dimension: int = 384) -> Iterator[str]:
    """Run the stand-in on a free loopback port for the block; yields its ``base_url``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(dimension))
    thread = threading.Thread(target=server.serve_forever, name="standin-embeddings", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
