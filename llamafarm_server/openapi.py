"""The OpenAPI document, built from the routes' pydantic models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from llamafarm_core import __version__
from llamafarm_server.api import ENDPOINTS
from llamafarm_server.openapi_constraints import constrain

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


class _Schemas:
    """The models the document refers to, named by pydantic all at once, so two models of
    the same class name (in different modules) get distinct component names instead of one
    overwriting the other. Refs are handed out first and filled in by :meth:`components`."""

    def __init__(self) -> None:
        self._refs: list[tuple[type[BaseModel], JsonSchemaMode, dict[str, Any]]] = []

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode = "validation") -> dict[str, Any]:
        placeholder: dict[str, Any] = {}
        self._refs.append((model, mode, placeholder))
        return placeholder

    def components(self) -> dict[str, Any]:
        keys = list(dict.fromkeys((model, mode) for model, mode, _ in self._refs))
        mapping, defs = models_json_schema(keys, ref_template="#/components/schemas/{model}")
        for model, mode, placeholder in self._refs:
            placeholder.update(mapping[(model, mode)])
        return {"Error": ERROR_SCHEMA, **defs.get("$defs", {})}


def build_openapi(app: web.Application) -> dict[str, Any]:
    schemas = _Schemas()
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
                    "content": {"application/json": {"schema": schemas.ref(ep.response, "serialization")}}
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
                "content": {ep.body_content_type: {"schema": schemas.ref(ep.body)}},
            }
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "LlamaFarm", "version": __version__},
        "paths": paths,
        "components": {"schemas": schemas.components()},
    }
    return constrain(doc)  # path parameter patterns, links, the optional bearer key
