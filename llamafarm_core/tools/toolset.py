"""The tools of one chat turn and how a model's calls are run.

Three sources, offered to the provider together in OpenAI's ``tools`` format:

- the tools of the MCP servers the model names (``runtime.models[].mcp_servers``) — the
  server runs these calls and feeds the results back to the model;
- tools declared inline in the config (``runtime.models[].tools``) and
- tools the request itself sends (``tools``) — the server cannot run these, so a call to
  one is returned to the client as ``tool_calls`` (standard OpenAI behaviour).

A request tool with the same name as another tool wins (the client asked for it). Two MCP
tools with the same name: the later server's is offered as ``{server}__{tool}``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from llamafarm_core.config.mcp import McpServer
from llamafarm_core.config.models import LlamaFarmConfig, RuntimeModel
from llamafarm_core.errors import BadRequest
from llamafarm_core.llm.types import ToolCall
from llamafarm_core.tools.mcp_client import McpConnections, ToolOutput

log = logging.getLogger("llamafarm.tools")
DEFAULT_MAX_ROUNDS = 5


@dataclass(frozen=True)
class ToolRun:
    """A call the server ran: the call, the server that ran it and what it returned."""

    call: ToolCall
    server: str
    output: str
    is_error: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.call.to_dict(),
            "server": self.server,
            "output": self.output,
            "is_error": self.is_error,
        }


@dataclass
class Toolset:
    """What a turn offers (``specs``) and which of those names the server runs itself."""

    specs: list[dict[str, Any]] = field(default_factory=list)
    max_rounds: int = DEFAULT_MAX_ROUNDS
    scope: str = ""
    connections: McpConnections | None = None
    _mcp: dict[str, tuple[McpServer, str]] = field(default_factory=dict)

    def runs(self, name: str) -> bool:
        """True if the server runs tool ``name`` (an MCP tool); else the client does."""
        return name in self._mcp

    def run(self, call: ToolCall) -> ToolRun:
        """Run one call on its MCP server. Bad arguments and the tool's own errors become an
        error result the model sees; a broken server raises (UpstreamError/UpstreamTimeout)."""
        server, tool = self._mcp[call.name]
        try:
            arguments = json.loads(call.arguments or "{}")
        except json.JSONDecodeError as err:
            return ToolRun(call, server.name, f"error: the arguments are not valid JSON ({err})", True)
        if not isinstance(arguments, dict):
            return ToolRun(call, server.name, "error: the arguments must be a JSON object", True)
        assert self.connections is not None
        out: ToolOutput = self.connections.call_tool(self.scope, server, tool, arguments)
        return ToolRun(call, server.name, out.text, out.is_error)


def request_tool_specs(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The request's ``tools``, checked: function tools with a name (else a 400)."""
    out = []
    for i, tool in enumerate(tools or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(tool, dict)
            or tool.get("type", "function") != "function"
            or not isinstance(function, dict)
        ):
            raise BadRequest(
                f"tools[{i}]: only function tools are supported ({{type: function, function: {{…}}}})"
            )
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise BadRequest(f"tools[{i}].function.name: required")
        out.append({"type": "function", "function": function})
    return out


def build_toolset(
    config: LlamaFarmConfig,
    model: RuntimeModel,
    request_tools: list[dict[str, Any]] | None,
    connections: McpConnections | None,
    scope: str,
) -> Toolset:
    """The turn's tools: lists the tools of the model's MCP servers (starting or connecting
    them on first use). Nothing is started when the model names no MCP server."""
    section = config.mcp
    toolset = Toolset(
        max_rounds=section.max_tool_rounds if section else DEFAULT_MAX_ROUNDS,
        scope=scope,
        connections=connections,
    )
    specs: dict[str, dict[str, Any]] = {}
    for name in model.mcp_servers or []:
        server = section.server(name) if section else None
        if server is None:  # the config validator prevents this; a clear 400 if it slips through
            raise BadRequest(f"model {model.name!r}: mcp server {name!r} is not in mcp.servers")
        assert connections is not None
        for tool in connections.list_tools(scope, server):
            exposed = tool.name if tool.name not in specs else f"{server.name}__{tool.name}"[:64]
            specs[exposed] = tool.openai(exposed)
            toolset._mcp[exposed] = (server, tool.name)
    for inline in model.tools or []:
        spec = inline.openai()
        specs[spec["function"]["name"]] = spec
        toolset._mcp.pop(spec["function"]["name"], None)
    for spec in request_tool_specs(request_tools):
        specs[spec["function"]["name"]] = spec
        toolset._mcp.pop(spec["function"]["name"], None)
    toolset.specs = list(specs.values())
    return toolset
