"""The project's MCP server, built with the official ``mcp`` SDK (``MCPServer`` and its
``StreamableHTTPSessionManager``), one for the whole app.

Stateless streamable HTTP with JSON responses: every POST is served on its own, so the
project (from the URL) reaches the tools through a context variable set by the route
(:data:`CURRENT`); no MCP session outlives a request. Core work runs in threads.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from llamafarm_core import __version__
from llamafarm_core.errors import LlamaFarmError
from llamafarm_server.mcp_server import tools
from llamafarm_server.mcp_server.tools import ProjectScope

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

CURRENT: contextvars.ContextVar[ProjectScope] = contextvars.ContextVar("llamafarm_mcp_project")
INSTRUCTIONS = (
    "Search and ask about the documents of one LlamaFarm project. `search` returns the "
    "matching chunks with their source files; `ask` answers with the project's model and RAG."
)


async def _run(fn: Any, *args: Any) -> Any:
    """Core work off the loop; a user's mistake becomes the tool's error text."""
    from mcp.server.mcpserver.exceptions import ToolError

    scope = CURRENT.get()
    try:
        return await asyncio.to_thread(fn, scope, *args)
    except LlamaFarmError as err:
        raise ToolError(err.message) from None


def build_server() -> MCPServer:
    """The SDK server with the project tools and the datasets' files as resources."""
    from mcp.server.lowlevel.helper_types import ReadResourceContents
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceNotFoundError
    from mcp_types import Resource

    class ProjectMCPServer(MCPServer):
        """Resources are the current project's dataset files (listed per request)."""

        async def list_resources(self) -> list[Resource]:
            files = await asyncio.to_thread(tools.file_resources, CURRENT.get())
            return [Resource(uri=f.uri, name=f.name, mime_type=f.mime_type, size=f.size) for f in files]

        async def read_resource(self, uri: Any, context: Any = None) -> Iterable[ReadResourceContents]:
            try:
                content, mime = await asyncio.to_thread(tools.read_file, CURRENT.get(), str(uri))
            except LlamaFarmError as err:
                raise ResourceNotFoundError(err.message) from None
            return [ReadResourceContents(content=content, mime_type=mime)]

    server = ProjectMCPServer(
        name="llamafarm", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool()
    async def search(
        query: str, top_k: int = 5, database: str | None = None, retrieval_strategy: str | None = None
    ) -> str:
        """Search the project's documents (its RAG databases and retrieval strategies).
        Returns JSON: the matching chunks with score and source file."""
        return tools.dumps(await _run(tools.search, query, top_k, database, retrieval_strategy))

    @server.tool()
    async def list_datasets() -> str:
        """The project's datasets with their files (name, size, processing status). JSON."""
        return tools.dumps(await _run(tools.list_datasets))

    @server.tool()
    async def list_documents(database: str | None = None) -> str:
        """The documents stored in a database (default: the project's default). JSON."""
        return tools.dumps(await _run(tools.list_documents, database))

    @server.tool()
    async def ask(question: str, database: str | None = None, max_tokens: int | None = None) -> str:
        """Ask the project's model; it answers from the documents (RAG). JSON: the answer
        and its sources."""
        return tools.dumps(await _run(tools.ask, question, database, max_tokens))

    return server


def build_manager(server: MCPServer) -> StreamableHTTPSessionManager:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    # Host/Origin checks and the API key are the app's middleware, as on every route.
    return StreamableHTTPSessionManager(app=server._lowlevel_server, json_response=True, stateless=True)
