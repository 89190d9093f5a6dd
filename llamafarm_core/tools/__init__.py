"""Tools in chat: MCP servers named in ``llamafarm.yaml`` (:mod:`.mcp_client`), tools
declared inline or sent with a request, and the loop that runs a model's calls
(:mod:`.toolset`). Importing this package imports no MCP code; that happens on first use."""
