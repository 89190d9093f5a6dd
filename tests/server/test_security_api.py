"""Browser-facing defences and request limits (issue 10): Host allowlist, Origin/CORS,
content types, the optional API key on every route, JSON size and depth, chat limits, and
start-up validation of LF_* settings. Each finding of the issue is reproduced here."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest

from llamafarm_core.settings import Settings, SettingsError
from llamafarm_server.app import create_app

BASE = "/v1/projects/acme"


async def make_client(aiohttp_client, settings: Settings, registry, **changes):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(dataclasses.replace(settings, **changes), registry))


async def test_foreign_host_is_refused_dns_rebinding(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/v1/projects/acme", headers={"Host": "evil.example"})
    assert resp.status == 403
    assert "LF_ALLOWED_HOSTS" in (await resp.json())["detail"]
    for host in ("localhost:8000", "127.0.0.1", "[::1]:1234", "LOCALHOST"):
        assert (await client.get("/health/liveness", headers={"Host": host})).status == 200, host


async def test_allowed_hosts_setting(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, settings, registry, allowed_hosts=("lf.internal",))
    assert (await client.get("/health/liveness", headers={"Host": "lf.internal:80"})).status == 200
    assert (await client.get("/health/liveness", headers={"Host": "evil.example"})).status == 403


async def test_cross_site_text_plain_post_creates_nothing(client) -> None:  # type: ignore[no-untyped-def]
    """The finding: a text/plain POST with a foreign Origin created a project (201)."""
    body = json.dumps({"name": "pwned"})
    resp = await client.post(
        BASE, data=body, headers={"Content-Type": "text/plain", "Origin": "https://evil.example"}
    )
    assert resp.status == 403 and "LF_CORS_ORIGINS" in (await resp.json())["detail"]
    # Without an Origin (a page can't omit it, but check the content type on its own) → 415.
    resp = await client.post(BASE, data=body, headers={"Content-Type": "text/plain"})
    assert resp.status == 415 and "application/json" in (await resp.json())["detail"]
    form = await client.post(BASE, data={"name": "pwned"})  # application/x-www-form-urlencoded
    assert form.status == 415
    # an empty form POST (a page can send one to an endpoint that takes no body) is refused too
    empty_form = await client.post(
        f"{BASE}/bot/datasets/docs/process", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert empty_form.status == 415
    # multipart is allowed for uploads only: a JSON endpoint refuses it
    multipart = await client.post(
        BASE, data=b"--b--\r\n", headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert multipart.status == 415
    listed = await (await client.get(BASE)).json()
    assert all(p["name"] != "pwned" for p in listed.get("projects", []))


async def test_same_origin_and_listed_origins(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, settings, registry, cors_origins=("http://localhost:3000",))
    own = f"http://{client.server.host}:{client.server.port}"
    resp = await client.post(BASE, json={"name": "mine"}, headers={"Origin": own})
    assert resp.status == 201  # the server's own web UI
    assert "Access-Control-Allow-Origin" not in resp.headers
    listed = await client.get(BASE, headers={"Origin": "http://localhost:3000"})
    assert listed.status == 200
    assert listed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Origin" in listed.headers["Vary"]
    # errors carry the CORS headers too, so the page can read the detail
    missing = await client.get(f"{BASE}/ghost", headers={"Origin": "http://localhost:3000"})
    assert missing.status == 404 and missing.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    preflight = await client.options(
        BASE,
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert preflight.status == 204
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    other = await client.options(
        BASE, headers={"Origin": "http://localhost:3001", "Access-Control-Request-Method": "POST"}
    )
    assert other.status == 403
    assert (await client.get(BASE, headers={"Origin": "null"})).status == 403


def _concrete(path: str) -> str:
    return (
        path.replace("{namespace}", "acme")
        .replace("{project}", "bot")
        .replace("{tail:.*}", "x")
        .replace("{", "")
        .replace("}", "")
    )


async def test_api_key_guards_every_route(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    """Every registered route (including ones other modules add later) needs the key, except
    the liveness probe and GETs of the web UI's static files, /openapi.json and /docs."""
    client = await make_client(aiohttp_client, settings, registry, api_key="s3cret-key")
    routes = {(r.method, r.resource.canonical) for r in client.app.router.routes() if r.resource}
    assert len(routes) > 20
    for method, path in sorted(routes):
        if method == "HEAD":
            continue
        url = _concrete(path)
        resp = await client.request(method, url, json={} if method in ("POST", "PUT", "PATCH") else None)
        public = path == "/health/liveness" or (
            method == "GET"
            and (path in ("/ui", "/docs", "/openapi.json") or path.startswith(("/ui/", "/docs/static/")))
        )
        if public:
            assert resp.status != 401, (method, path)
        else:
            assert resp.status == 401, (method, path, resp.status)
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = await client.get(BASE, headers={"Authorization": "Bearer s3cret-kez"})
    assert wrong.status == 401 and "LF_API_KEY" in (await wrong.json())["detail"]
    ok = await client.get(BASE, headers={"Authorization": "Bearer s3cret-key"})
    assert ok.status == 200
    created = await client.post(BASE, json={"name": "k"}, headers={"Authorization": "bearer s3cret-key"})
    assert created.status == 201


async def test_api_docs_are_public_and_offer_the_key_for_calls(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, settings, registry, api_key="s3cret-key")
    page = await client.get("/docs")
    assert page.status == 200 and "swagger-ui" in await page.text()
    asset = await client.get("/docs/static/swagger-ui-bundle.js")
    assert asset.status == 200 and len(await asset.read()) > 10_000
    doc = await client.get("/openapi.json")
    assert doc.status == 200
    spec = await doc.json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"  # Swagger's Authorize
    assert {"bearer": []} in spec["paths"]["/v1/projects/{namespace}"]["get"]["security"]
    assert "security" not in spec["paths"]["/openapi.json"]["get"]
    assert "security" not in spec["paths"]["/docs"]["get"]
    assert "s3cret-key" not in await doc.text()
    # Only those: the API itself, other methods, and paths that merely look alike still need it.
    for method, path in (
        ("GET", BASE),
        ("POST", "/openapi.json"),
        ("GET", "/docs/static/../../v1/projects/acme"),
        ("GET", "/docs/static/%2e%2e/%2e%2e/v1/projects/acme"),
        ("GET", "/docsx"),
        ("GET", "/openapi.json.bak"),
    ):
        resp = await client.request(method, path, json={} if method == "POST" else None)
        assert resp.status in (401, 404, 405), (method, path, resp.status)
        if resp.status != 401:
            assert "projects" not in await resp.text()


async def test_json_body_size_limit_is_413(aiohttp_client, settings, registry) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, settings, registry, max_json_bytes=4096)
    big = json.dumps({"name": "big", "description": "x" * 5000})
    resp = await client.post(BASE, data=big, headers={"Content-Type": "application/json"})
    assert resp.status == 413 and "LF_MAX_JSON_BYTES" in (await resp.json())["detail"]

    async def chunked():  # no Content-Length: the cap applies while reading
        yield big.encode()

    resp = await client.post(BASE, data=chunked(), headers={"Content-Type": "application/json"})
    assert resp.status == 413


async def test_default_json_limit_is_16_mib_not_the_upload_limit(client) -> None:  # type: ignore[no-untyped-def]
    """The finding: a 40 MiB JSON body was a 400 (the cap followed the 100 MiB upload limit)."""
    body = b'{"name": "big", "description": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    resp = await client.post(BASE, data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 413


@pytest.mark.parametrize("depth", [65, 100_000])
async def test_deep_json_is_422_not_500(client, depth: int) -> None:  # type: ignore[no-untyped-def]
    body = '{"name": "deep", "config": ' + "[" * depth + "]" * depth + "}"
    resp = await client.post(BASE, data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 422, await resp.text()
    assert "LF_MAX_JSON_DEPTH" in (await resp.json())["detail"]


async def test_chat_limits(client) -> None:  # type: ignore[no-untyped-def]
    """The finding: 200,000 stop strings got no answer within 120 s (a quadratic duplicate
    check inside the model lock). Now a 422 at once, naming the setting."""
    assert (await client.post(BASE, json={"name": "bot"})).status == 201
    url = f"{BASE}/bot/chat/completions"
    msgs = [{"role": "user", "content": "hi"}]
    started = time.monotonic()
    resp = await client.post(url, json={"messages": msgs, "stop": [f"s{i}" for i in range(200_000)]})
    assert resp.status == 422 and "LF_MAX_STOP_SEQUENCES" in (await resp.json())["detail"]
    assert time.monotonic() - started < 30
    resp = await client.post(url, json={"messages": msgs * 1001})
    assert resp.status == 422 and "LF_MAX_CHAT_MESSAGES" in (await resp.json())["detail"]
    long = [{"role": "user", "content": "x" * (4 * 1024 * 1024 + 1)}]
    resp = await client.post(url, json={"messages": long})
    assert resp.status == 422 and "LF_MAX_CHAT_CHARS" in (await resp.json())["detail"]


def test_stop_sequences_dedup_is_linear() -> None:
    from llamafarm_core.chat.prompt import STOP_SEQUENCES, stop_sequences

    many = [f"s{i}" for i in range(200_000)] + ["s1", ""]
    started = time.monotonic()
    out = stop_sequences(many)
    assert time.monotonic() - started < 2
    assert out[:2] == ["s0", "s1"] and len(out) == 200_000 + len(set(STOP_SEQUENCES) - set(many))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LF_MAX_JSON_BYTES", "lots"),
        ("LF_MAX_UPLOAD_BYTES", "-5"),
        ("LF_JOB_RETRY_DELAYS", "2,x"),
        ("LF_CORS_ORIGINS", "evil.example"),
        ("LF_MAX_JSON_DEPTH", "1"),
        ("LF_WORKER_NICE", "20"),
        ("LF_WORKER_NICE", "-5"),
        ("LF_WORKER_WARM_UP", "maybe"),
        ("LF_LEXICAL_MEMORY_MIB", "0.5"),
    ],
)
def test_bad_settings_are_errors_naming_the_variable(monkeypatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        Settings.from_env()


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"]])
def test_serve_and_worker_refuse_a_bad_setting(tmp_path, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "LF_DATA_DIR": str(tmp_path), "LF_MAX_BULK_FILES": "many"}
    proc = subprocess.run(
        [sys.executable, "-m", "llamafarm_server.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "LF_MAX_BULK_FILES" in proc.stderr


def test_settings_repr_hides_the_api_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert "s3cret" not in repr(Settings(data_dir=tmp_path, api_key="s3cret"))
