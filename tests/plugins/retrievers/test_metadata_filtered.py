"""MetadataFilteredStrategy: pre and post filtering, config filters AND request filters."""

from __future__ import annotations

import pytest

from llamafarm_core.errors import PluginError
from tests.core.retrieval.corpus import Corpus
from tests.plugins.retrievers.helpers import ask, files, with_strategy


def test_configured_filters(corpus: Corpus) -> None:
    result = ask(corpus, "anything", "energy_only", top_k=8)
    assert sorted(files(result)) == ["solar.md", "wind.md"]


def test_request_filters_and_config_filters_combine(corpus: Corpus) -> None:
    result = ask(corpus, "anything", "energy_only", top_k=8, filters={"year": {"$gt": 2020}})
    assert files(result) == ["solar.md"]


def test_pre_fills_top_k_post_may_return_fewer(corpus: Corpus) -> None:
    conf = {"filters": {"category": "biology"}, "fallback_multiplier": 1}
    pre = with_strategy(corpus, "MetadataFilteredStrategy", {**conf, "filter_mode": "pre"}, "pre")
    post = with_strategy(corpus, "MetadataFilteredStrategy", {**conf, "filter_mode": "post"}, "post")
    query = "solar and wind electricity generation"  # biology ranks low for it
    assert sorted(files(ask(corpus, query, "pre", project=pre, top_k=2))) == ["bees.md", "penguins.md"]
    assert files(ask(corpus, query, "post", project=post, top_k=2)) == []
    wide = with_strategy(
        corpus, "MetadataFilteredStrategy", {**conf, "filter_mode": "post", "fallback_multiplier": 4}
    )
    assert sorted(files(ask(corpus, query, "probe", project=wide, top_k=2))) == ["bees.md", "penguins.md"]


def test_missing_key_matches_nothing(corpus: Corpus) -> None:
    project = with_strategy(corpus, "MetadataFilteredStrategy", {"filters": {"author": {"$ne": "nobody"}}})
    assert ask(corpus, "anything", "probe", project=project, top_k=8).hits == []


def test_bad_filters_in_config(corpus: Corpus) -> None:
    project = with_strategy(corpus, "MetadataFilteredStrategy", {"filters": {"year": {"$between": [1, 2]}}})
    with pytest.raises(PluginError, match="unknown operator"):
        ask(corpus, "x", "probe", project=project)
