"""Declaring routes with their pydantic models, so handlers stay small and the OpenAPI
document is built from the same models that validate requests.

A route module does::

    router = Router("Projects")

    @router.post("/v1/projects/{namespace}", body=CreateProject, response=ProjectResponse, status=201)
    async def create(request: web.Request, body: CreateProject) -> ProjectResponse: ...

and the app calls ``router.install(app)``. A handler may return a pydantic model (sent as
JSON with ``status``) or any aiohttp response (for streaming).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from llamafarm_core.config.loader import describe_validation_error
from llamafarm_core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from llamafarm_core.secrets import redact
from llamafarm_server.context import SETTINGS

Handler = Callable[..., Awaitable[Any]]
T = TypeVar("T")


@dataclass
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    extra_responses: dict[int, str] = field(default_factory=dict)
    body_content_type: str = "application/json"


ENDPOINTS: web.AppKey[list[Endpoint]] = web.AppKey("endpoints", list)


class Router:
    """Collects endpoints of one resource (one OpenAPI tag)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        status: int = 200,
        summary: str | None = None,
        responses: dict[int, str] | None = None,
        body_content_type: str = "application/json",
    ) -> Callable[[Handler], Handler]:
        def decorate(fn: Handler) -> Handler:
            # A non-JSON body (multipart uploads) is read by the handler; its model only documents it.
            parsed = body if body_content_type == "application/json" else None
            wrapped = _wrap(fn, body=parsed, query=query, status=status)
            doc = (fn.__doc__ or "").strip().split("\n")[0]
            self.endpoints.append(
                Endpoint(
                    method,
                    path,
                    wrapped,
                    summary or doc or fn.__name__,
                    self.tag,
                    body,
                    response,
                    query,
                    status,
                    responses or {},
                    body_content_type,
                )
            )
            return fn

        return decorate

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)

    def install(self, app: web.Application) -> None:
        if _warn_header not in app.on_response_prepare:
            app.on_response_prepare.append(_warn_header)
        for ep in self.endpoints:
            app.router.add_route(ep.method, ep.path, ep.handler)
            app[ENDPOINTS].append(ep)


def _wrap(
    fn: Handler, *, body: type[BaseModel] | None, query: type[BaseModel] | None, status: int
) -> Handler:
    @functools.wraps(fn)
    async def handler(request: web.Request) -> web.StreamResponse:
        kwargs: dict[str, Any] = {}
        ignored: list[str] = []
        if body is not None:
            data, ignored = drop_unknown_fields(body, await read_json(request))
            kwargs["body"] = parse_body(body, data)
        if query is not None:
            kwargs["query"] = parse_query(query, request)
        warnings = [f"unknown field {name!r} ignored" for name in ignored]
        request[REQUEST_WARNINGS] = warnings  # the Warning header, even on a stream: _warn_header
        result = await fn(request, **kwargs)
        if isinstance(result, web.StreamResponse):
            if warnings and isinstance(result, web.Response) and not result.prepared:
                _add_warnings_to_json(result, warnings)
            return result
        if isinstance(result, BaseModel):
            if not warnings:  # pydantic writes the JSON itself (~5x faster than json.dumps)
                return json_text_response(result.model_dump_json(), status=status)
            result = result.model_dump(mode="json")
        if not warnings:
            return json_response(result, status=status)
        if isinstance(result, dict):
            result["warnings"] = _merged(result.get("warnings"), warnings)
        return json_response(result, status=status)

    return handler


WARNING_HEADER = "Warning"
REQUEST_WARNINGS: web.RequestKey[list[str]] = web.RequestKey("llamafarm_warnings", list)


async def _warn_header(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the request's warnings as a ``Warning`` header."""
    warnings = request.get(REQUEST_WARNINGS)
    if warnings:
        response.headers[WARNING_HEADER] = _warning_header(warnings)


def _warning_header(warnings: list[str]) -> str:
    """RFC 7234 miscellaneous persistent warnings (code 299), one per ignored field."""
    return ", ".join('299 llamafarm "{}"'.format(w.replace('"', "'")) for w in warnings)


def _merged(listed: Any, warnings: list[str]) -> list[Any]:
    return [*listed, *warnings] if isinstance(listed, list) else warnings


def _add_warnings_to_json(response: web.Response, warnings: list[str]) -> None:
    """A handler's own JSON object response gets the ``warnings`` too (e.g. one with an ETag)."""
    if response.content_type != "application/json" or not isinstance(response.body, bytes):
        return
    try:
        data = json.loads(response.body)
    except ValueError:
        return
    if isinstance(data, dict):
        data["warnings"] = _merged(data.get("warnings"), warnings)
        response.body = json.dumps(data, default=str).encode()


def drop_unknown_fields(model: type[BaseModel], data: Any) -> tuple[Any, list[str]]:
    """Leniency of the original (FastAPI ignores unknown fields): top-level body keys the
    model does not declare are dropped and named, so the response can warn about them.

    Nested objects (e.g. a project's ``config``) keep their own strict validation.
    """
    if not isinstance(data, dict) or model.model_config.get("extra") == "allow":
        return data, []
    known: set[str] = set()
    for name, info in model.model_fields.items():
        known.add(name)
        for alias in (info.alias, info.validation_alias):
            if isinstance(alias, str):
                known.add(alias)
    unknown = [k for k in data if k not in known]
    if not unknown:
        return data, []
    return {k: v for k, v in data.items() if k in known}, unknown


async def read_json(request: web.Request) -> Any:
    """The JSON body, within the server's limits (``Settings.max_json_bytes`` and
    ``max_json_depth``): a body that is not ``application/json`` is a 415, a bigger one a 413,
    a deeper one a 422, a missing or malformed one a 400."""
    settings = request.app[SETTINGS]
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            f"this endpoint takes a JSON body: send Content-Type: application/json "
            f"(got {request.content_type!r})"
        )
    limit = settings.max_json_bytes
    too_large = PayloadTooLarge(
        f"request body too large: JSON bodies are limited to {limit} bytes (LF_MAX_JSON_BYTES)"
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    raw = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        raw += chunk
        if len(raw) > limit:
            raise too_large
    if not raw.strip():
        raise BadRequest("request body is empty; expected a JSON object")
    try:
        data = json.loads(raw)
    except RecursionError:
        data = None  # deeper than Python can parse: certainly deeper than the limit
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadRequest(f"malformed JSON body: {err}") from None
    if data is None and raw.strip() != b"null" or json_depth(data) > settings.max_json_depth:
        raise ValidationFailed(
            f"body: JSON nested deeper than {settings.max_json_depth} levels (LF_MAX_JSON_DEPTH)"
        )
    return data


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iterative: no recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def parse_body(model: type[T], data: Any) -> T:
    if not isinstance(data, dict):
        raise ValidationFailed("body: must be a JSON object")
    try:
        return model.model_validate(data)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as err:
        raise ValidationFailed(describe_validation_error(err, "body")) from None


def parse_query(model: type[T], request: web.Request) -> T:
    data: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        data[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(data)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as err:
        raise BadRequest(describe_validation_error(err, "query")) from None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return json_text_response(json.dumps(data, default=str), status, headers)


def json_text_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON body already serialized."""
    # redact(): the last net under a component that echoed an expanded ${VAR} (see secrets)
    return web.Response(text=redact(text), status=status, content_type="application/json", headers=headers)


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run short core (blocking) work off the event loop, on the loop's default executor
    (``Settings.short_threads`` threads, set by :func:`install_executors`)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


LONG_EXECUTOR: web.AppKey[ThreadPoolExecutor] = web.AppKey("long_executor", ThreadPoolExecutor)


async def run_long(request: web.Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run long blocking work (a non-streaming chat turn, waiting for synchronous processing)
    on its own executor, so it queues behind other long work and never takes the threads
    that short requests need."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(request.app[LONG_EXECUTOR], call)


def install_executors(app: web.Application) -> None:
    """Give the app its two thread pools (short and long work), sized by its Settings."""

    async def executors(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        short = ThreadPoolExecutor(settings.short_threads, thread_name_prefix="lf-short")
        asyncio.get_running_loop().set_default_executor(short)
        app[LONG_EXECUTOR] = ThreadPoolExecutor(settings.long_threads, thread_name_prefix="lf-long")
        yield
        app[LONG_EXECUTOR].shutdown(wait=False, cancel_futures=True)

    app.cleanup_ctx.append(executors)
