"""System, health, plugins, OpenAPI and error handling of unknown routes and methods."""

from __future__ import annotations


async def test_hello_info_liveness(client, settings) -> None:  # type: ignore[no-untyped-def]
    assert await (await client.get("/")).json() == {"message": "Hello, World!"}
    info = await (await client.get("/info")).json()
    assert info == {"version": "0.1.0", "data_directory": str(settings.data_dir), "ui": "/ui/"}
    assert await (await client.get("/health/liveness")).json() == {"status": "alive"}


async def test_health_reports_services_and_worst_status(client, settings) -> None:  # type: ignore[no-untyped-def]
    body = await (await client.get("/health")).json()
    assert body["services"]["api"] == "healthy"
    assert body["services"]["storage"] == "healthy"
    order = ["healthy", "degraded", "unhealthy"]
    assert body["status"] == max(body["services"].values(), key=order.index)


async def test_health_storage_turns_unhealthy_when_data_dir_disappears(client, settings) -> None:  # type: ignore[no-untyped-def]
    import shutil

    shutil.rmtree(settings.data_dir)
    body = await (await client.get("/health")).json()
    assert body["services"]["storage"] == "unhealthy"
    assert body["status"] == "unhealthy"
    assert str(settings.data_dir) in body["details"]["storage"]


async def test_unknown_route_and_wrong_method_are_json(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/v1/nothing/here")
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert "not found" in (await resp.json())["detail"]
    resp = await client.delete("/info")
    assert resp.status == 405
    assert "not allowed" in (await resp.json())["detail"]


async def test_plugins_lists_kinds_names_aliases_and_schemas(client) -> None:  # type: ignore[no-untyped-def]
    body = await (await client.get("/v1/plugins")).json()
    assert set(body["kinds"]) == {
        "parser",
        "extractor",
        "embedder",
        "vector_store",
        "retrieval_strategy",
        "model_provider",
    }
    for plugin in body["plugins"]:
        assert plugin["kind"] in body["kinds"]
        assert plugin["config_schema"]["type"] == "object"
        assert plugin["package"] == "llamafarm"


async def test_openapi_describes_every_route_with_schemas(client) -> None:  # type: ignore[no-untyped-def]
    doc = await (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path, method in [
        ("/", "get"),
        ("/info", "get"),
        ("/health", "get"),
        ("/v1/projects/{namespace}", "post"),
        ("/v1/projects/{namespace}/{project}", "put"),
        ("/v1/plugins", "get"),
    ]:
        assert method in paths[path], (path, method)
    create = paths["/v1/projects/{namespace}"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert "name" in schema["properties"]
    registered = {
        (r.method.lower(), r.resource.canonical)
        for r in client.app.router.routes()
        if r.method != "HEAD" and not r.resource.canonical.startswith("/ui")  # the web UI's files: not API
    }
    documented = {(m, p) for p, ops in paths.items() for m in ops}
    assert registered <= documented
