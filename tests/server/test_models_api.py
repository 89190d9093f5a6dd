"""GET …/models lists the configured models."""

from __future__ import annotations

from tests.server.chat_support import make_project


async def test_models_lists_the_configured_models(client) -> None:  # type: ignore[no-untyped-def]
    models = [
        {"name": "fast", "provider": "ollama", "model": "gemma2:2b", "base_url": "http://localhost:11434"},
        {"name": "local", "provider": "llamacpp", "model": "gemma3-270m", "description": "embedded"},
    ]
    base = await make_project(client, runtime={"models": models, "default_model": "local"})
    resp = await client.get(f"{base}/models")
    assert resp.status == 200
    body = await resp.json()
    assert body["object"] == "list" and body["total"] == 2
    assert body["models"] == body["data"]
    fast, local = body["models"]
    assert (fast["name"], fast["provider"], fast["model"], fast["default"]) == (
        "fast",
        "ollama",
        "gemma2:2b",
        False,
    )
    assert (local["name"], local["default"], local["description"]) == ("local", True, "embedded")
    assert local["id"] == "local" and local["object"] == "model"


async def test_flat_runtime_is_one_default_model(client) -> None:  # type: ignore[no-untyped-def]
    base = await make_project(client, runtime={"provider": "llamacpp", "model": "gemma3-270m"})
    body = await (await client.get(f"{base}/models")).json()
    assert [(m["name"], m["default"]) for m in body["models"]] == [("gemma3-270m", True)]


async def test_models_of_a_missing_project_is_404(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/v1/projects/acme/ghost/models")
    assert resp.status == 404 and "detail" in await resp.json()
    resp = await client.get("/v1/projects/acme/..bad/models")
    assert resp.status == 400
