"""``/docs``: an offline Swagger UI of ``/openapi.json``; the document keeps same-named models
apart and documents the upload bodies."""

from __future__ import annotations

import re

from aiohttp import web
from pydantic import BaseModel, create_model

from llamafarm_server.api import ENDPOINTS, Router
from llamafarm_server.openapi import build_openapi


async def test_docs_page_loads_only_local_assets(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/docs")
    assert resp.status == 200 and resp.content_type == "text/html"
    page = await resp.text()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/docs/static/") for s in sources), sources
    for source in sources:
        asset = await client.get(source)
        assert asset.status == 200, source
        assert len(await asset.read()) > 0
    init = await (await client.get("/docs/static/init.js")).text()
    assert '"/openapi.json"' in init
    bundle = await (await client.get("/docs/static/swagger-ui-bundle.js")).text()
    assert "SwaggerUIBundle" in bundle and len(bundle) > 500_000
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


async def test_unknown_or_crafted_asset_names_are_404(client) -> None:  # type: ignore[no-untyped-def]
    for name in ("nope.js", "..%2F..%2Fetc%2Fpasswd", "index.j2", "swagger-ui.js.map"):
        resp = await client.get(f"/docs/static/{name}")
        assert resp.status == 404 and "detail" in await resp.json(), name


async def test_upload_bodies_are_documented(client) -> None:  # type: ignore[no-untyped-def]
    doc = await (await client.get("/openapi.json")).json()
    base = "/v1/projects/{namespace}/{project}/datasets/{dataset}"
    one = doc["paths"][base + "/data"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    bulk = doc["paths"][base + "/data/bulk"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    schemas = doc["components"]["schemas"]
    one_schema = schemas[one["$ref"].rsplit("/", 1)[-1]]
    assert one_schema["properties"]["file"]["format"] == "binary" and one_schema["required"] == ["file"]
    bulk_schema = schemas[bulk["$ref"].rsplit("/", 1)[-1]]
    assert bulk_schema["properties"]["files"]["items"]["format"] == "binary"


def test_same_named_models_do_not_overwrite_each_other() -> None:
    first = create_model("Item", __module__="pkg.a", name=(str, ...))
    second = create_model("Item", __module__="pkg.b", size=(int, ...))
    router = Router("T")

    async def one(request: web.Request) -> BaseModel: ...

    async def two(request: web.Request) -> BaseModel: ...

    router.get("/one", response=first)(one)
    router.get("/two", response=second)(two)
    app = web.Application()
    app[ENDPOINTS] = []
    router.install(app)
    doc = build_openapi(app)
    refs = [
        doc["paths"][p]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        for p in ("/one", "/two")
    ]
    assert refs[0] != refs[1]
    schemas = doc["components"]["schemas"]
    shown = [schemas[r.rsplit("/", 1)[-1]]["properties"] for r in refs]
    assert set(shown[0]) == {"name"} and set(shown[1]) == {"size"}
