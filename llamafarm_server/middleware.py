"""One error middleware: every error, everywhere, is JSON ``{"detail": ...}``."""

from __future__ import annotations

import logging

from aiohttp import web

from llamafarm_core.errors import LlamaFarmError
from llamafarm_server.api import json_response

log = logging.getLogger("llamafarm.server")


@web.middleware
async def error_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except LlamaFarmError as err:
        if err.status >= 500:
            log.warning("%s %s -> %s: %s", request.method, request.path, err.status, err.message)
        retry = getattr(err, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return json_response({"detail": err.message}, status=err.status, headers=headers)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        detail = {
            404: f"not found: {request.method} {request.path}",
            405: f"method {request.method} not allowed on {request.path}",
        }.get(err.status, err.text or err.reason)
        if err.status == 413:
            detail = f"request body too large: {err.text or err.reason}"
        headers = {k: v for k, v in err.headers.items() if k.lower() == "allow"}
        return json_response({"detail": detail}, status=err.status, headers=headers)
    except Exception as err:  # a bug: answer JSON, log the traceback
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response({"detail": f"internal server error: {type(err).__name__}: {err}"}, status=500)
