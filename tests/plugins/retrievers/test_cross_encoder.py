"""CrossEncoderRerankedStrategy with a real local CrossEncoder; a missing model is a 400."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from llamafarm_core.errors import BadRequest
from tests.core.retrieval.corpus import Corpus
from tests.plugins.retrievers.helpers import ask, with_strategy


def test_scores_are_the_models_sigmoid_and_order_follows_them(
    corpus: Corpus, cross_encoder_path: Path
) -> None:
    from sentence_transformers import CrossEncoder

    query = "renewable electricity"
    result = ask(corpus, query, "basic", top_k=3, rerank_model=str(cross_encoder_path))
    candidates = ask(corpus, query, "basic", top_k=20).hits
    model = CrossEncoder(str(cross_encoder_path), device="cpu")
    import torch

    logits = model.predict([(query, h.text) for h in candidates], activation_fn=torch.nn.Identity())
    expected = sorted(
        ((1 / (1 + math.exp(-float(z))), h.id) for z, h in zip(logits, candidates, strict=True)), reverse=True
    )[:3]
    assert [h.id for h in result.hits] == [cid for _, cid in expected]
    assert [h.score for h in result.hits] == pytest.approx([s for s, _ in expected], abs=1e-5)


def test_configured_model_and_request_override(corpus: Corpus, cross_encoder_path: Path) -> None:
    project = with_strategy(
        corpus, "CrossEncoderRerankedStrategy", {"model_name": str(cross_encoder_path), "final_k": 2}
    )
    assert len(ask(corpus, "chess", "probe", project=project).hits) == 2
    with pytest.raises(BadRequest, match="'/nowhere/model' is not available"):
        ask(corpus, "chess", "probe", project=project, rerank_model="/nowhere/model")


def test_no_model_configured_says_how_to_fix(corpus: Corpus) -> None:
    with pytest.raises(BadRequest, match="needs a model"):
        ask(corpus, "chess", "cross_encoder")
