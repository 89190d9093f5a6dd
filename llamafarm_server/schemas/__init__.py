"""Pydantic models of the HTTP bodies, one module per resource (shapes of the API reference)."""
