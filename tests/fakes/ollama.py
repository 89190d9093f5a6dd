"""A small stand-in for the Ollama HTTP API, because no Ollama daemon can run here.

It speaks Ollama's wire protocol as documented in Ollama's ``docs/api.md`` (JSON bodies,
``{"error": ...}`` on failure, ``model:tag`` names where a missing tag means ``latest``), so
the official ``ollama`` client talks to it unchanged. Only what the tests need is here:

- ``GET /``, ``GET /api/version``, ``GET /api/tags``, ``POST /api/show``
- ``POST /api/embed`` (batch, L2-normalised, ``truncate``, ``dimensions``) and the legacy
  ``POST /api/embeddings`` (one prompt, not normalised)
- ``POST /api/pull``: installs a model listed in ``FakeOllamaState.pullable`` (no download)
- ``POST /api/chat`` and ``POST /api/generate``, streaming (NDJSON, the default) or not
- tool calling on ``/api/chat``: a model with ``tools=True`` (:data:`TOOL_CHAT`) given
  ``tools`` answers with ``message.tool_calls`` as Ollama does (``{"function": {"name",
  "arguments": {object}}}``, no ids; streamed as one whole chunk before the ``done`` line);
  tool results come back as ``role: tool`` messages. The bundled base model cannot call
  tools, so that model is scripted by the last user message, with the rules of
  ``tests/fakes/tool_model.py`` (``[[add {"a": 2, "b": 3}]]`` → a call, then ``The answer
  is 5.``). A model without tools given ``tools`` is a 400 "... does not support tools".

Embeddings are REAL: every embedding model is served by the bundled all-MiniLM-L6-v2
(sentence-transformers), so similar texts really are close. Generation is REAL too: every
``completion`` model is the bundled Gemma 3 270M through llama.cpp (install
:data:`GEMMA_CHAT` with :func:`chat_state`); its prompt is a plain "Role: text" transcript,
as the base model has no chat template.

Extending it (e.g. ``/api/chat``, ``/api/generate``): write ``async def handle_x(request)``
using :func:`state_of`, :func:`read_body`, :func:`require_model` and :func:`error`, add
``FakeModel`` entries with another ``capability``, and list the handler in :data:`ROUTES`.

Run standalone: ``python -m tests.fakes.ollama --port 11434``; in tests:
``with FakeOllamaServer() as fake: fake.url``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.background import BackgroundApp

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
VERSION = "0.6.3-fake"


@dataclass(frozen=True)
class FakeModel:
    """A model the fake knows. ``capability`` is what Ollama's /api/show lists."""

    name: str
    family: str = "bert"
    parameter_size: str = "23M"
    capability: str = "embedding"
    context_length: int = 256
    embedding_length: int = 384
    tools: bool = False  # Ollama lists "tools" among the capabilities of such a model

    def summary(self) -> dict[str, Any]:
        digest = hashlib.sha256(self.name.encode()).hexdigest()
        return {
            "name": self.name,
            "model": self.name,
            "modified_at": "2025-01-01T00:00:00Z",
            "size": 45_960_996,
            "digest": digest,
            "details": self.details(),
        }

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": "F16",
        }


def canonical(name: str) -> str:
    """``all-minilm`` → ``all-minilm:latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class MiniLM:
    """The bundled all-MiniLM-L6-v2, loaded on first use (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                from llamafarm_core.bundled import minilm_path

                self._model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
            return self._model

    def token_count(self, text: str) -> int:
        return len(self.model().tokenizer(text)["input_ids"])

    def embed(self, texts: list[str], normalize: bool) -> list[list[float]]:
        model = self.model()
        with self._lock:
            vectors = model.encode(texts, normalize_embeddings=normalize, convert_to_numpy=True)
        return [[float(x) for x in row] for row in vectors]


class Gemma:
    """The bundled Gemma 3 270M in llama.cpp, loaded on first use; one generation at a time."""

    STOPS = ("\nUser:", "\nSystem:", "\nAssistant:")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._llm: Any = None

    def _model(self) -> Any:
        if self._llm is None:
            from llama_cpp import Llama

            from llamafarm_core.bundled import gemma_gguf_path

            self._llm = Llama(
                model_path=str(gemma_gguf_path()),
                n_ctx=2048,
                n_threads=max(1, (os.cpu_count() or 2) // 2),
                verbose=False,
            )
        return self._llm

    def token_count(self, text: str) -> int:
        with self._lock:
            return len(self._model().tokenize(text.encode("utf-8")))

    def generate(self, prompt: str, options: dict[str, Any], emit: Callable[[str], None]) -> tuple[str, int]:
        """Generate with Ollama ``options``; ``emit`` each piece; returns (done_reason, eval_count)."""
        num_predict = options.get("num_predict")
        kwargs: dict[str, Any] = {
            "max_tokens": None if num_predict in (None, -1, -2) else int(num_predict),
            "stop": [*self.STOPS, *(options.get("stop") or [])],
            "stream": True,
        }
        for key in (
            "temperature",
            "top_p",
            "top_k",
            "seed",
            "presence_penalty",
            "frequency_penalty",
            "repeat_penalty",
        ):
            if options.get(key) is not None:
                kwargs[key] = options[key]
        count, reason = 0, "stop"
        with self._lock:
            for chunk in self._model().create_completion(prompt, **kwargs):
                choice = chunk["choices"][0]
                if choice.get("text"):
                    count += 1
                    emit(choice["text"])
                if choice.get("finish_reason") == "length":
                    reason = "length"
        return reason, count


@dataclass
class FakeOllamaState:
    """What the fake serves; tests may change it and read ``requests``."""

    installed: dict[str, FakeModel] = field(
        default_factory=lambda: {m.name: m for m in [FakeModel("all-minilm:latest")]}
    )
    pullable: dict[str, FakeModel] = field(
        default_factory=lambda: {m.name: m for m in [FakeModel("all-minilm:l6-v2")]}
    )
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    minilm: MiniLM = field(default_factory=MiniLM)
    gemma: Gemma = field(default_factory=Gemma)

    def find(self, name: str) -> FakeModel | None:
        return self.installed.get(canonical(name))


STATE = web.AppKey("fake_ollama_state", FakeOllamaState)


# -- helpers for handlers ------------------------------------------------------------------


def state_of(request: web.Request) -> FakeOllamaState:
    return request.app[STATE]


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class HTTPFail(Exception):
    """Raised inside a handler to answer ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text() or "{}")
    except json.JSONDecodeError as err:
        raise HTTPFail(400, f"invalid character in request body: {err.msg}") from None
    if not isinstance(body, dict):
        raise HTTPFail(400, "json: cannot unmarshal into Go value of type api.Request")
    state_of(request).requests.append((request.path, body))
    return body


def require_model(request: web.Request, body: dict[str, Any], capability: str | None = None) -> FakeModel:
    name = body.get("model") or body.get("name")
    if not name:
        raise HTTPFail(400, "model is required")
    model = state_of(request).find(str(name))
    if model is None:
        raise HTTPFail(404, f'model "{name}" not found, try pulling it first')
    if capability and model.capability != capability:
        raise HTTPFail(400, f'"{name}" does not support {capability}')
    return model


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# -- handlers ------------------------------------------------------------------------------


async def handle_root(request: web.Request) -> web.StreamResponse:
    return web.Response(text="Ollama is running")


async def handle_version(request: web.Request) -> web.StreamResponse:
    return web.json_response({"version": VERSION})


async def handle_tags(request: web.Request) -> web.StreamResponse:
    return web.json_response({"models": [m.summary() for m in state_of(request).installed.values()]})


async def handle_show(request: web.Request) -> web.StreamResponse:
    model = require_model(request, await read_body(request))
    arch = model.family
    return web.json_response(
        {
            "modelfile": f"# Modelfile generated by the fake\nFROM {model.name}\n",
            "parameters": "",
            "template": "",
            "details": model.details(),
            "model_info": {
                "general.architecture": arch,
                f"{arch}.context_length": model.context_length,
                f"{arch}.embedding_length": model.embedding_length,
            },
            "capabilities": [model.capability, *(["tools"] if model.tools else [])],
            "modified_at": "2025-01-01T00:00:00Z",
        }
    )


def _inputs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise HTTPFail(400, "invalid input type")


def _cut(vector: list[float], dimensions: int | None) -> list[float]:
    if dimensions is None:
        return vector
    cut = vector[:dimensions]
    norm = sum(x * x for x in cut) ** 0.5 or 1.0
    return [x / norm for x in cut]


async def handle_embed(request: web.Request) -> web.StreamResponse:
    started = time.monotonic_ns()
    body = await read_body(request)
    model = require_model(request, body, "embedding")
    texts = _inputs(body.get("input", []))
    dimensions = body.get("dimensions")
    if dimensions is not None and (
        not isinstance(dimensions, int) or not 0 < dimensions <= model.embedding_length
    ):
        raise HTTPFail(400, f"invalid dimensions: must be between 1 and {model.embedding_length}")
    minilm = state_of(request).minilm
    loop = asyncio.get_running_loop()
    counts = await loop.run_in_executor(None, lambda: [minilm.token_count(t) for t in texts])
    if body.get("truncate") is False and any(c > model.context_length for c in counts):
        raise HTTPFail(400, "input length exceeds maximum context length")
    vectors = await loop.run_in_executor(None, minilm.embed, texts, True) if texts else []
    return web.json_response(
        {
            "model": body["model"],
            "embeddings": [_cut(v, dimensions) for v in vectors],
            "total_duration": time.monotonic_ns() - started,
            "load_duration": 0,
            "prompt_eval_count": sum(min(c, model.context_length) for c in counts),
        }
    )


async def handle_embeddings(request: web.Request) -> web.StreamResponse:
    body = await read_body(request)
    require_model(request, body, "embedding")
    prompt = body.get("prompt") or ""
    if not isinstance(prompt, str):
        raise HTTPFail(400, "invalid prompt type")
    if not prompt:
        return web.json_response({"embedding": []})
    [vector] = await asyncio.get_running_loop().run_in_executor(
        None, state_of(request).minilm.embed, [prompt], False
    )
    return web.json_response({"embedding": vector})


async def handle_pull(request: web.Request) -> web.StreamResponse:
    body = await read_body(request)
    name = canonical(str(body.get("model") or body.get("name") or ""))
    state = state_of(request)
    model = state.pullable.get(name) or state.installed.get(name)
    if model is None:
        raise HTTPFail(500, "pull model manifest: file does not exist")
    state.installed[name] = model
    steps = [{"status": "pulling manifest"}, {"status": "verifying sha256 digest"}, {"status": "success"}]
    if body.get("stream") is False:
        return web.json_response(steps[-1])
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)
    for step in steps:
        await response.write((json.dumps(step) + "\n").encode())
    await response.write_eof()
    return response


GEMMA_CHAT = FakeModel(
    "gemma3:270m", family="gemma3", parameter_size="268M", capability="completion", context_length=32768,
    embedding_length=640,
)  # fmt: skip


def chat_state() -> FakeOllamaState:
    """The default state plus :data:`GEMMA_CHAT` installed (for /api/chat and /api/generate)."""
    state = FakeOllamaState()
    state.installed[GEMMA_CHAT.name] = GEMMA_CHAT
    return state


def _transcript(messages: list[dict[str, Any]]) -> str:
    labels = {"system": "System", "user": "User", "assistant": "Assistant"}
    lines = []
    for m in messages:
        role = m.get("role")
        if role not in labels or not isinstance(m.get("content", ""), str):
            raise HTTPFail(400, f"invalid message role {role!r}")
        lines.append(f"{labels[role]}: {m.get('content', '').strip()}")
    return "\n".join([*lines, "Assistant:"])


async def _generate(
    request: web.Request, body: dict[str, Any], prompt: str, piece: Callable[[str, bool], dict[str, Any]]
) -> web.StreamResponse:
    """Run Gemma on ``prompt``; answer one JSON object, or NDJSON lines when streaming.
    ``piece(text, done)`` shapes one object of the endpoint."""
    started = time.monotonic_ns()
    state = state_of(request)
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise HTTPFail(400, "json: cannot unmarshal options")
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def run() -> tuple[str, int]:
        try:
            return state.gemma.generate(
                prompt, options, lambda t: loop.call_soon_threadsafe(queue.put_nowait, t)
            )
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    prompt_tokens = await loop.run_in_executor(None, state.gemma.token_count, prompt)
    job = loop.run_in_executor(None, run)

    def final(text: str, reason: str, count: int) -> dict[str, Any]:
        elapsed = time.monotonic_ns() - started
        return {
            **piece(text, True),
            "done_reason": reason,
            "total_duration": elapsed,
            "load_duration": 0,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 0,
            "eval_count": count,
            "eval_duration": elapsed,
        }

    if body.get("stream", True) is False:
        parts = []
        while (text := await queue.get()) is not None:
            parts.append(text)
        reason, count = await job
        return web.json_response(final("".join(parts).strip(), reason, count))
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)
    while (text := await queue.get()) is not None:
        await response.write((json.dumps(piece(text, False)) + "\n").encode())
    reason, count = await job
    await response.write((json.dumps(final("", reason, count)) + "\n").encode())
    await response.write_eof()
    return response


TOOL_CHAT = FakeModel(
    "qwen3:0.6b", family="qwen3", parameter_size="751.63M", capability="completion", context_length=40960,
    embedding_length=1024, tools=True,
)  # fmt: skip


async def _scripted_tool_chat(body: dict[str, Any]) -> web.StreamResponse:
    """A tool-capable model's answer: ``message.tool_calls`` (arguments as objects) or text."""
    from tests.fakes.tool_model import decide

    text, calls = decide(body)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [
            {"function": {"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}}
            for c in calls
        ]
    stats = {"done_reason": "stop", "total_duration": 1, "load_duration": 0, "prompt_eval_count": 12,
             "prompt_eval_duration": 0, "eval_count": max(1, len(text.split())), "eval_duration": 1}  # fmt: skip
    head = {"model": body["model"], "created_at": now()}
    if body.get("stream", True) is False:
        return web.json_response({**head, "message": message, "done": True, **stats})
    pieces = (
        [message] if calls else [{"role": "assistant", "content": w} for w in re.findall(r"\S+\s*", text)]
    )
    lines = [{**head, "message": piece, "done": False} for piece in pieces]
    lines.append({**head, "message": {"role": "assistant", "content": ""}, "done": True, **stats})
    return web.Response(
        text="".join(json.dumps(line) + "\n" for line in lines), content_type="application/x-ndjson"
    )


async def handle_chat(request: web.Request) -> web.StreamResponse:
    body = await read_body(request)
    model = require_model(request, body, "completion")
    messages = body.get("messages") or []
    if not isinstance(messages, list):
        raise HTTPFail(400, "json: cannot unmarshal messages")
    if body.get("tools") and not model.tools:
        raise HTTPFail(400, f"registry.ollama.ai/library/{model.name} does not support tools")
    if model.tools:
        return await _scripted_tool_chat(body)

    def piece(text: str, done: bool) -> dict[str, Any]:
        message = {"role": "assistant", "content": text}
        return {"model": body["model"], "created_at": now(), "message": message, "done": done}

    return await _generate(request, body, _transcript(messages), piece)


async def handle_generate(request: web.Request) -> web.StreamResponse:
    body = await read_body(request)
    require_model(request, body, "completion")
    prompt = str(body.get("prompt") or "")
    if not body.get("raw"):
        system = [{"role": "system", "content": body["system"]}] if body.get("system") else []
        prompt = _transcript([*system, {"role": "user", "content": prompt}])

    def piece(text: str, done: bool) -> dict[str, Any]:
        return {"model": body["model"], "created_at": now(), "response": text, "done": done}

    return await _generate(request, body, prompt, piece)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/", handle_root),
    ("GET", "/api/version", handle_version),
    ("GET", "/api/tags", handle_tags),
    ("POST", "/api/show", handle_show),
    ("POST", "/api/embed", handle_embed),
    ("POST", "/api/embeddings", handle_embeddings),
    ("POST", "/api/pull", handle_pull),
    ("POST", "/api/chat", handle_chat),
    ("POST", "/api/generate", handle_generate),
]


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HTTPFail as fail:
        return error(fail.status, fail.message)


def create_app(state: FakeOllamaState | None = None) -> web.Application:
    app = web.Application(middlewares=[_errors])
    app[STATE] = state or FakeOllamaState()
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    return app


class FakeOllamaServer(BackgroundApp):
    """The fake on 127.0.0.1 in a background thread with its own event loop."""

    def __init__(self, state: FakeOllamaState | None = None, port: int = 0) -> None:
        super().__init__("fake-ollama", port)
        self.state = state or FakeOllamaState()

    def make_app(self) -> web.Application:
        return create_app(self.state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    args = parser.parse_args()
    web.run_app(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
