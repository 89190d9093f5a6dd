"""Request and response bodies of the chat and models endpoints (OpenAI-compatible, plus
LlamaFarm's RAG fields and the ``sources`` extension)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llamafarm_core.chat.rag import Source
from llamafarm_core.limits import Fraction, Penalty, SamplingTopK, Temperature, TokenCount


class ContentPart(BaseModel):
    """A part of a message's content. Text parts are joined; other kinds (``image_url``,
    ``input_audio``, ``file``) go as they are to providers that take them (openai), and are a
    400 naming the part for the others."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class FunctionCallIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    arguments: str = "{}"


class ToolCallIn(BaseModel):
    """A tool call in an assistant message the client sends back (OpenAI's shape)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    type: Literal["function"] = "function"
    function: FunctionCallIn


class MessageIn(BaseModel):
    """A message as OpenAI clients send it; ``developer`` means ``system``. An assistant
    message may have ``content: null`` and ``tool_calls``; a ``tool`` message answers the
    call named by ``tool_call_id``."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCallIn] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> MessageIn:
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs tool_call_id")
        if self.content is None and not (self.role == "assistant" and self.tool_calls):
            raise ValueError(f"content: required for a {self.role} message (null only with tool_calls)")
        if self.tool_calls and self.role != "assistant":
            raise ValueError("tool_calls: only assistant messages carry them")
        return self

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text or "" for p in self.content if p.type == "text")

    def other_parts(self) -> list[tuple[int, str]]:
        """(index, type) of the content parts that are not text."""
        if not isinstance(self.content, list):
            return []
        return [(i, p.type) for i, p in enumerate(self.content) if p.type != "text"]


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """``POST …/chat/completions``. Unknown OpenAI fields are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    messages: list[MessageIn] = Field(min_length=1, description="the conversation, oldest first")
    model: str | None = Field(None, description="a runtime.models[].name; default: the project's default")
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: Temperature | None = None
    max_tokens: TokenCount | None = None
    max_completion_tokens: TokenCount | None = Field(None, description="newer OpenAI name of max_tokens")
    top_p: Fraction | None = None
    top_k: SamplingTopK | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    n: int | None = Field(None, ge=1, description="only 1 is supported")
    tools: list[dict[str, Any]] | None = Field(
        None, description="function tools the model may call; calls to them come back as tool_calls"
    )
    tool_choice: str | dict[str, Any] | None = Field(
        None, description="none | auto | required | {type: function, …}"
    )
    response_format: dict[str, Any] | None = Field(
        None,
        description="{type: text | json_object | json_schema}; a 400 when the model's provider cannot honour it",
    )
    logprobs: bool | None = Field(None, description="only false: log probabilities are not returned")
    top_logprobs: int | None = Field(None, ge=0, description="only with logprobs, which is not supported")
    rag_enabled: bool | None = Field(None, description="default: on when the project has a database")
    database: str | None = Field(None, description="the database to retrieve from")
    rag_top_k: int | None = Field(None, ge=1, le=100, description="how many chunks to retrieve")
    rag_score_threshold: Fraction | None = Field(None, description="minimum score of a chunk")

    @model_validator(mode="after")
    def _stop_list(self) -> ChatCompletionRequest:
        if isinstance(self.stop, list) and any(not s for s in self.stop):
            raise ValueError("stop: sequences must not be empty")
        return self

    def sampling(self) -> dict[str, Any]:
        """The overrides of the model's ``model_api_parameters`` (None = not given)."""
        return {
            "max_tokens": self.max_tokens or self.max_completion_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": [self.stop] if isinstance(self.stop, str) else self.stop,
            "seed": self.seed,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
        }


class FunctionCallOut(BaseModel):
    name: str
    arguments: str


class ToolCallOut(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCallOut


class ToolRunOut(ToolCallOut):
    """A tool call the server ran on an MCP server, with what the tool returned."""

    server: str
    output: str
    is_error: bool = False


class MessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCallOut] | None = Field(None, description="calls for the client to run")


class Choice(BaseModel):
    index: int = 0
    message: MessageOut
    finish_reason: str


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionResponse(BaseModel):
    """OpenAI's ``chat.completion`` plus ``sources`` (empty when RAG was off or found nothing)."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: UsageOut
    sources: list[Source] = Field(default_factory=list)
    tool_calls_made: list[ToolRunOut] = Field(
        default_factory=list, description="the MCP tool calls the server ran during this turn"
    )


class ChatMessageOut(BaseModel):
    role: str
    content: str
    sources: list[Source] | None = Field(
        default=None, description="with include_sources=true: the sources of this answer (assistant messages)"
    )


class SessionHistory(BaseModel):
    session_id: str
    messages: list[ChatMessageOut]


class HistoryQuery(BaseModel):
    include_sources: bool = Field(
        False, description="Add each answer's sources (the chunks it used) to its message"
    )


class SessionSummaryOut(BaseModel):
    """A live session: the id the client sent, times (Unix seconds), size and a title."""

    session_id: str
    created_at: float
    updated_at: float
    message_count: int
    title: str = Field(description="the first user message, truncated")


class SessionList(BaseModel):
    total: int
    sessions: list[SessionSummaryOut] = Field(description="most recently used first")


class SessionListQuery(BaseModel):
    limit: int = Field(100, ge=1, le=1000, description="at most this many sessions")


class MessageResponse(BaseModel):
    message: str


class DeletedSessions(BaseModel):
    message: str
    count: int


class ModelInfo(BaseModel):
    """A configured model, also in the shape of OpenAI's model object (``id``, ``object``)."""

    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str
    name: str
    provider: str
    model: str
    default: bool
    description: str | None = None
    base_url: str | None = None


class ModelList(BaseModel):
    """``data`` follows OpenAI's list shape; ``models`` is the same list under LlamaFarm's key."""

    object: Literal["list"] = "list"
    total: int
    data: list[ModelInfo]
    models: list[ModelInfo]
