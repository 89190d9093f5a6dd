"""The value ranges of request fields, written once: the server's request models and the
core's own checks (sampling parameters, retrieval requests) use these.

``Annotated`` types carry the range into pydantic models (and so into the OpenAPI document);
the plain constants serve checks outside pydantic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_TOP_K = 1000  # results one retrieval may return

TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K)]
Fraction = Annotated[float, Field(ge=0, le=1)]  # scores, thresholds, hybrid alpha, top_p
TokenCount = Annotated[int, Field(ge=1)]  # max_tokens and token budgets
Temperature = Annotated[float, Field(ge=0, le=2)]
Penalty = Annotated[float, Field(ge=-2, le=2)]  # presence / frequency penalty
SamplingTopK = Annotated[int, Field(ge=0)]  # the sampler's top_k (0: off)
