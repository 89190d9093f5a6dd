"""The OpenAPI document, built from the routes' pydantic models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from llamafarm_core import __version__
from llamafarm_server.api import ENDPOINTS

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


def _ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_openapi(app: web.Application) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for ep in app[ENDPOINTS]:
        op: dict[str, Any] = {
            "summary": ep.summary,
            "tags": [ep.tag],
            "operationId": f"{ep.method.lower()}_{ep.handler.__name__}",
            "parameters": [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in re.findall(r"{(\w+)}", ep.path)
            ],
            "responses": {
                str(ep.status): {
                    "description": "OK",
                    "content": {"application/json": {"schema": _ref(ep.response, components)}}
                    if ep.response
                    else {"application/json": {}},
                },
                "4XX": {
                    "description": "A client error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
        for code, text in ep.extra_responses.items():
            op["responses"][str(code)] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        if ep.query is not None:
            for name, field in ep.query.model_fields.items():
                op["parameters"].append(
                    {
                        "name": name,
                        "in": "query",
                        "required": field.is_required(),
                        "description": field.description or "",
                        "schema": ep.query.model_json_schema()["properties"][name],
                    }
                )
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {ep.body_content_type: {"schema": _ref(ep.body, components)}},
            }
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "LlamaFarm", "version": __version__},
        "paths": paths,
        "components": {"schemas": components},
    }
