"""The web UI's static serving (in-process): the page, its assets, their headers, and what
stays as it was (``GET /`` JSON, the OpenAPI document)."""

from __future__ import annotations

import re

from llamafarm_server.routes.ui import STATIC_DIR


async def test_ui_page_and_assets_are_served_with_a_strict_csp(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/ui/")
    assert resp.status == 200 and resp.content_type == "text/html"
    html = await resp.text()
    assert "static/js/app.js" in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"

    # every file the page and its modules import is served, scripts as JavaScript
    imports = re.findall(r'from "([^"]+)"', (STATIC_DIR / "js" / "app.js").read_text())
    assert "./pages/config.js" in imports
    for path in ["static/css/style.css", "static/js/app.js", "static/vendor/js-yaml.mjs"] + [
        "static/js/" + p.removeprefix("./") for p in imports
    ]:
        asset = await client.get(f"/ui/{path}")
        assert asset.status == 200, path
        if path.endswith((".js", ".mjs")):
            assert asset.content_type in ("application/javascript", "text/javascript"), path


async def test_ui_redirects_and_refuses_paths_outside_its_directory(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/ui", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/ui/"
    for bad in ["/ui/static/../../routes/ui.py", "/ui/static/%2e%2e/%2e%2e/routes/ui.py", "/ui/static/"]:
        resp = await client.get(bad)
        assert resp.status in (403, 404), bad
        assert "detail" in await resp.json()
    assert (await client.post("/ui/", json={})).status == 405


async def test_root_stays_json_info_links_the_ui_and_openapi_has_no_ui_routes(client) -> None:  # type: ignore[no-untyped-def]
    assert await (await client.get("/")).json() == {"message": "Hello, World!"}
    assert (await (await client.get("/info")).json())["ui"] == "/ui/"
    paths = (await (await client.get("/openapi.json")).json())["paths"]
    assert not [p for p in paths if p.startswith("/ui")]
