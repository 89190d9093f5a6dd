"""Retrieval: the lexical index, requests/contexts for strategies, and the query service."""
