"""The project as an MCP server (streamable HTTP) at ``/v1/projects/{ns}/{project}/mcp``.

``tools.py`` holds what the tools and resources do (plain functions over the core),
``server.py`` binds them to the official ``mcp`` SDK's server, ``asgi.py`` lets aiohttp
serve the SDK's transport. See docs/mcp.md.
"""
