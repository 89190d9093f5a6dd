"""model_api_parameters are defaults; request fields override them."""

from __future__ import annotations

import pytest

from llamafarm_core.config.models import RuntimeModel
from llamafarm_core.errors import BadRequest
from llamafarm_core.llm.params import build_request
from llamafarm_core.llm.types import ChatMessage, Role

MESSAGES = [ChatMessage(Role.USER, "hi")]


def _model(**params: object) -> RuntimeModel:
    return RuntimeModel(name="m", provider="llamacpp", model="x", model_api_parameters=params)


def test_model_defaults_apply_and_request_overrides_win() -> None:
    model = _model(temperature=0.2, top_p=0.5, max_tokens=100)
    request = build_request(MESSAGES, model, {"temperature": 0.9, "top_p": None, "seed": 4})
    assert (request.temperature, request.top_p, request.max_tokens, request.seed) == (0.9, 0.5, 100, 4)


def test_placeholders_and_other_spellings_are_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LF_TEST_TEMP", "0.4")
    request = build_request(MESSAGES, _model(temperature="${LF_TEST_TEMP}", num_predict=12), {})
    assert request.temperature == 0.4
    assert request.max_tokens == 12


def test_unknown_parameters_pass_through_as_extra() -> None:
    request = build_request(MESSAGES, _model(repeat_penalty=1.1, num_ctx=2048), {"stop": "END"})
    assert request.extra == {"repeat_penalty": 1.1, "num_ctx": 2048}
    assert request.stop == ["END"]


@pytest.mark.parametrize(
    "params", [{"temperature": 3}, {"top_p": -0.1}, {"max_tokens": 0}, {"top_k": "many"}]
)
def test_bad_values_are_a_400_naming_the_model(params: dict) -> None:
    with pytest.raises(BadRequest, match="model 'm' parameters"):
        build_request(MESSAGES, _model(**params), {})
