"""Sampling options of a turn: the model's ``model_api_parameters`` are defaults, request
fields override them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from llamafarm_core.config.envsubst import expand
from llamafarm_core.config.loader import describe_validation_error
from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import BadRequest
from llamafarm_core.limits import Fraction, Penalty, SamplingTopK, Temperature, TokenCount
from llamafarm_core.llm.types import ChatMessage, CompletionRequest

# Other spellings found in configs written for other APIs.
ALIASES: dict[str, str] = {"max_completion_tokens": "max_tokens", "num_predict": "max_tokens"}


class SamplingParams(BaseModel):
    """The common options, range-checked; anything else is kept in ``extra``."""

    model_config = ConfigDict(extra="allow")

    max_tokens: TokenCount | None = None
    temperature: Temperature | None = None
    top_p: Fraction | None = None
    top_k: SamplingTopK | None = None
    stop: list[str] | None = None
    seed: int | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None

    @field_validator("stop", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def model_defaults(model: RuntimeModel) -> dict[str, Any]:
    """The model's ``model_api_parameters`` with placeholders expanded and aliases resolved."""
    raw: dict[str, Any] = dict(expand(dict(model.model_api_parameters or {})))
    return {ALIASES.get(str(k), str(k)): v for k, v in raw.items()}


def build_request(
    messages: Sequence[ChatMessage],
    model: RuntimeModel,
    overrides: Mapping[str, Any] | None = None,
) -> CompletionRequest:
    """A CompletionRequest for ``model``: its defaults, then every non-None override."""
    merged = model_defaults(model)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        params = SamplingParams.model_validate(merged)
    except ValidationError as err:
        raise BadRequest(f"model {model.name!r} parameters: {describe_validation_error(err)}") from None
    return CompletionRequest(
        messages=list(messages),
        max_tokens=params.max_tokens,
        temperature=params.temperature,
        top_p=params.top_p,
        top_k=params.top_k,
        stop=list(params.stop or []),
        seed=params.seed,
        presence_penalty=params.presence_penalty,
        frequency_penalty=params.frequency_penalty,
        extra=dict(params.model_extra or {}),
    )
