"""Model providers run chat completions."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from llamafarm_core.components.base import Component, ConfigT

if TYPE_CHECKING:
    from llamafarm_core.llm.types import Completion, CompletionRequest, StreamDelta


class ModelProvider(Component[ConfigT]):
    """Serves one configured model (a ``runtime.models[]`` entry, given as ``model=``).

    ``stream`` yields text deltas then a final :class:`Completion` with usage and finish reason.
    """

    #: Request features beyond plain text the provider honours: ``tools``, ``tool_choice``
    #: beyond auto/none, ``response_format``, and ``content_parts`` (non-text parts such as
    #: images, sent as given: ``ChatMessage.parts``). The chat service refuses the others with a
    #: 400 naming the field instead of dropping them.
    features: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def complete(self, request: CompletionRequest) -> Completion: ...

    @abstractmethod
    def stream(self, request: CompletionRequest) -> Iterator[StreamDelta | Completion]: ...
