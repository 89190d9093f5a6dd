"""The ``mcp`` section of ``llamafarm.yaml`` and the tools a model may call.

```yaml
mcp:
  max_tool_rounds: 5            # model → tools → model rounds per chat turn
  servers:
    - name: files
      transport: stdio          # stdio | http | sse
      command: python
      args: [tools_server.py]
      env: {API_TOKEN: "${API_TOKEN}"}
    - name: weather
      transport: http           # streamable HTTP
      base_url: http://localhost:9000/mcp
runtime:
  models:
    - name: assistant
      ...
      mcp_servers: [files, weather]
      tools:                    # declared inline: offered to the model, run by the client
        - type: function
          function: {name: lookup, description: ..., parameters: {type: object}}
```

Values keep their ``${VAR}`` placeholders here; they are expanded only when a server is
started or connected, and never echoed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llamafarm_core.names import check_unique

TOOL_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class McpServer(_Strict):
    """One MCP server: a command run over stdio, or a URL (streamable HTTP or SSE)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    transport: Literal["stdio", "http", "sse"] = "stdio"
    command: str | None = Field(None, min_length=1, description="stdio: the executable")
    args: list[str] = Field(default_factory=list, description="stdio: its arguments")
    env: dict[str, str] = Field(default_factory=dict, description="stdio: extra environment (${VAR} allowed)")
    cwd: str | None = Field(None, description="stdio: working directory")
    base_url: str | None = Field(None, min_length=1, description="http/sse: the endpoint URL")
    headers: dict[str, str] = Field(
        default_factory=dict, description="http/sse: request headers (${VAR} allowed)"
    )
    timeout: float = Field(30.0, gt=0, le=600, description="seconds one tool call may take")
    connect_timeout: float = Field(
        20.0, gt=0, le=300, description="seconds to start or connect and list tools"
    )
    max_result_chars: int = Field(20000, ge=100, le=1_000_000, description="longer tool results are cut")
    tools: list[str] | None = Field(None, description="offer only these tools of the server (default: all)")

    @model_validator(mode="after")
    def _transport_fields(self) -> McpServer:
        if self.transport == "stdio" and not self.command:
            raise ValueError(f"mcp server {self.name!r}: transport stdio needs a command")
        if self.transport in ("http", "sse") and not self.base_url:
            raise ValueError(f"mcp server {self.name!r}: transport {self.transport} needs a base_url")
        return self


class McpSection(_Strict):
    """``mcp``: the servers models may use, and the tool-loop limit."""

    servers: list[McpServer] = Field(default_factory=list)
    max_tool_rounds: int = Field(5, ge=1, le=50, description="tool-calling rounds per chat turn")

    @model_validator(mode="after")
    def _unique_names(self) -> McpSection:
        check_unique([s.name for s in self.servers], "mcp server")
        return self

    def server(self, name: str) -> McpServer | None:
        return next((s for s in self.servers if s.name == name), None)


class FunctionSpec(_Strict):
    name: str = Field(pattern=TOOL_NAME_PATTERN)
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


class InlineTool(_Strict):
    """A tool declared in the config, in OpenAI's format (``{type: function, function: {…}}``).

    The server cannot run it: when the model calls it, the call is returned to the client
    as ``tool_calls``, as OpenAI does. The flat form ``{name, description, parameters}`` is
    accepted too.
    """

    type: Literal["function"] = "function"
    function: FunctionSpec

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data: Any) -> Any:
        if isinstance(data, dict) and "function" not in data and "name" in data:
            body = {k: v for k, v in data.items() if k != "type"}
            return {"type": data.get("type", "function"), "function": body}
        return data

    def openai(self) -> dict[str, Any]:
        return {"type": "function", "function": self.function.model_dump(exclude_none=True)}
