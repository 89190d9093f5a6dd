"""Helpers of the chat API tests: projects with a given config, SSE parsing."""

from __future__ import annotations

import json
from typing import Any

from tests.core.chat.chat_projects import chat_config

NS = "acme"


async def make_project(client: Any, name: str = "bot", **overrides: Any) -> str:
    """Create ``acme/{name}`` with the embedded model (temperature 0, max_tokens 8); its URL base."""
    resp = await client.post(f"/v1/projects/{NS}", json={"name": name})
    assert resp.status == 201, await resp.text()
    put = await client.put(f"/v1/projects/{NS}/{name}", json={"config": chat_config(**overrides)})
    assert put.status == 200, await put.text()
    return f"/v1/projects/{NS}/{name}"


def parse_sse(text: str) -> list[Any]:
    """The ``data:`` payloads of an SSE body: JSON objects, and the string ``[DONE]``."""
    events = []
    for block in text.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                data = line[len("data: ") :]
                events.append(data if data == "[DONE]" else json.loads(data))
    return events


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}
