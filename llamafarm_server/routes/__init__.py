"""Route modules, one per resource. Each exposes ``router`` (a :class:`llamafarm_server.api.Router`).

``ROUTE_MODULES`` lists them in the order they appear in the OpenAPI document.
"""

ROUTE_MODULES = (
    "system",
    "api_docs",
    "health",
    "plugins",
    "projects",
    "datasets",
    "rag",
    "tasks",
    "models",
    "chat",
    "examples",
    "mcp",
    "ui",
)
