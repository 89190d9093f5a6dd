"""Route modules, one per resource. Each exposes ``router`` (a :class:`llamafarm_server.api.Router`).

``ROUTE_MODULES`` lists them in the order they appear in the OpenAPI document; a module listed
here but not present yet is skipped (so features can land one at a time).
"""

ROUTE_MODULES = (
    "system",
    "health",
    "plugins",
    "projects",
    "datasets",
    "rag",
    "tasks",
    "models",
    "chat",
    "examples",
)
