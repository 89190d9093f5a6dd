"""The one error hierarchy of the core. The server maps each class to an HTTP status.

Raise the most specific class; the message is shown to the user as ``{"detail": message}``,
so write it for them: say what was wrong and what would be right.
"""

from __future__ import annotations

from llamafarm_core.secrets import redact


class LlamaFarmError(Exception):
    """Base class. ``status`` is the HTTP status the server answers with."""

    status: int = 500

    def __init__(self, message: str) -> None:
        message = redact(message)  # an expanded ${VAR} never reaches the user
        super().__init__(message)
        self.message = message


class BadRequest(LlamaFarmError):
    """The request is malformed or names something that doesn't exist in the config."""

    status = 400


class NotFound(LlamaFarmError):
    status = 404


class Conflict(LlamaFarmError):
    """The resource exists already, or an operation on it is under way."""

    status = 409


class Unauthorized(LlamaFarmError):
    """The server requires an API key (``LF_API_KEY``) and the request has none or a wrong one."""

    status = 401


class Forbidden(LlamaFarmError):
    """The request comes from a Host or Origin the server does not serve, or egress is denied."""

    status = 403


class PreconditionFailed(LlamaFarmError):
    """``If-Match`` names a version that is no longer current."""

    status = 412


class PayloadTooLarge(LlamaFarmError):
    status = 413


class UnsupportedMediaType(LlamaFarmError):
    status = 415


class ValidationFailed(LlamaFarmError):
    """A body or config that parses but breaks the schema; the message names the bad path."""

    status = 422


class PluginError(BadRequest):
    """An unknown plugin type, or a plugin config that doesn't validate."""


class ComponentUnavailable(LlamaFarmError):
    """A configured component can't be used right now (model missing, store unreachable)."""

    status = 503


class ServiceUnavailable(LlamaFarmError):
    """Infrastructure (Redis, workers) is down; the request may succeed later."""

    status = 503


class Busy(ComponentUnavailable):
    """A shared component (the local model) has more work queued than it takes: 503 with a
    ``Retry-After`` of ``retry_after`` seconds, at once rather than after a long wait."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamError(LlamaFarmError):
    """A provider (LLM, embedder, remote store) answered with an error or not at all."""

    status = 502


class UpstreamTimeout(UpstreamError):
    status = 504


class UpstreamUnreachable(UpstreamError):
    """The provider could not be reached at all (connection refused, DNS): no call can succeed
    until it is back, so a batch stops at once (and a job with retries left retries later)."""


class ParseFailed(LlamaFarmError):
    """A file couldn't be parsed; the reason is reported for that file alone."""

    status = 422
