"""The aiohttp server: thin routes over llamafarm_core, one error middleware, SSE."""
