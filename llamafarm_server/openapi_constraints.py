"""The real constraints of the API in its OpenAPI document, so generated requests (and
clients) know them: path parameter patterns, links from "create" to "use" operations, and the
optional bearer key. :func:`constrain` post-processes the document ``openapi.py`` builds.

Keep these in step with the validators: ``llamafarm_core.names`` (names, file hashes),
``llamafarm_core.jobs.records`` (task ids), ``llamafarm_core.chat.sessions`` (session ids).
"""

from __future__ import annotations

from typing import Any

from llamafarm_core.chat.sessions import MAX_SESSION_ID
from llamafarm_core.names import NAME_PATTERN
from llamafarm_server.security import is_public

HASH_PATTERN = r"^[0-9a-f]{64}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

NAME = {"type": "string", "pattern": NAME_PATTERN}
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "namespace": NAME,
    "project": NAME,
    "dataset": NAME,
    "database": NAME,
    "example_id": NAME,
    "file_hash": {"type": "string", "pattern": HASH_PATTERN},
    "task_id": {"type": "string", "pattern": UUID_PATTERN},
    "session_id": {"type": "string", "pattern": rf"^[!-~]{{1,{MAX_SESSION_ID}}}$"},
}

_PROJECT = "/v1/projects/{namespace}/{project}"
_DATASET = _PROJECT + "/datasets/{dataset}"


def _link(operation: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation, "parameters": parameters}


def _project_links(namespace: str, project: str) -> dict[str, Any]:
    p = {"namespace": namespace, "project": project}
    return {
        "GetProject": _link("get_get_project", **p),
        "UpdateProject": _link("put_update_project", **p),
        "ListDatasets": _link("get_list_datasets", **p),
        "CreateDataset": _link("post_create_dataset", **p),
        "RagHealth": _link("get_rag_health", **p),
        "RagQuery": _link("post_rag_query", **p),
        "DeleteProject": _link("delete_delete_project", **p),
    }


def _dataset_links() -> dict[str, Any]:
    d = {"namespace": "$request.path.namespace", "project": "$request.path.project"}
    name = "$response.body#/dataset/name"
    return {
        "UploadFile": _link("post_upload_file", **d, dataset=name),
        "UploadFiles": _link("post_upload_files", **d, dataset=name),
        "ProcessDataset": _link("post_process_dataset", **d, dataset=name),
        "DeleteDataset": _link("delete_delete_dataset", **d, dataset=name),
    }


# (path, method, status) -> the links of that response
LINKS: dict[tuple[str, str, str], Any] = {
    ("/v1/projects/{namespace}", "post", "201"): lambda: _project_links(
        "$request.path.namespace", "$response.body#/project/name"
    ),
    (_PROJECT + "/datasets", "post", "201"): _dataset_links,
}


def constrain(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the constraints to a built document (in place; returns it)."""
    operations = {
        op["operationId"]
        for ops in doc.get("paths", {}).values()
        for op in ops.values()
        if "operationId" in op
    }
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                if param.get("in") == "path" and param["name"] in PATH_PARAMETERS:
                    param["schema"] = dict(PATH_PARAMETERS[param["name"]])
            for status, response in op.get("responses", {}).items():
                make = LINKS.get((path, method, status))
                if make is not None:
                    links = {k: v for k, v in make().items() if v["operationId"] in operations}
                    if links:
                        response["links"] = links
            if not is_public(method, path):
                op.setdefault("security", [{}, {"bearer": []}])  # the key is optional (LF_API_KEY)
    schemes = doc.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "Required when the server runs with LF_API_KEY (docs/security.md)",
    }
    return doc
