"""A typed Python client for a LlamaFarm server; the ``llamafarm`` CLI is built on it.

    from llamafarm_server.client import LlamaFarmClient
    lf = LlamaFarmClient("http://127.0.0.1:8000", api_key=None)
    summary = lf.upload("acme", "kb", "notes", ["docs/"], on_progress=print)
    task = lf.process("acme", "kb", "notes", on_progress=print)

Errors are :class:`ApiError` (the server's ``detail`` and status) or :class:`ConnectionFailed`.
"""

from llamafarm_server.client.api import ApiError, ClientError, ConnectionFailed, LlamaFarmClient
from llamafarm_server.client.models import (
    ChatTurn,
    TaskProgress,
    UploadedFile,
    UploadProgress,
    UploadSummary,
)
from llamafarm_server.client.uploads import collect_files

__all__ = [
    "ApiError",
    "ChatTurn",
    "ClientError",
    "ConnectionFailed",
    "LlamaFarmClient",
    "TaskProgress",
    "UploadProgress",
    "UploadSummary",
    "UploadedFile",
    "collect_files",
]
