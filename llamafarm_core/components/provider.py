"""Model providers run chat completions."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Any

from llamafarm_core.components.base import Component


class ModelProvider(Component):
    """Serves one configured model (a ``runtime.models[]`` entry, given as ``model=``).

    ``request`` is a :class:`llamafarm_core.chat.CompletionRequest`; ``complete`` returns a
    :class:`llamafarm_core.chat.Completion` and ``stream`` yields text deltas then a final
    :class:`llamafarm_core.chat.Completion` with usage and finish reason.
    """

    @abstractmethod
    def complete(self, request: Any) -> Any: ...

    @abstractmethod
    def stream(self, request: Any) -> Iterator[Any]: ...
