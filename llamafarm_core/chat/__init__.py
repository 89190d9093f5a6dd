"""Chat: completion types, prompt building, sessions, RAG context and the chat service.

Importing this package is cheap; heavy work happens in the providers, on first use.
"""

from llamafarm_core.llm.types import ChatMessage, Completion, CompletionRequest, Role, StreamDelta, Usage

__all__ = ["ChatMessage", "Completion", "CompletionRequest", "Role", "StreamDelta", "Usage"]
