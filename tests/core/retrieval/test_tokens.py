"""max_tokens: the approximate token count and the budget shared by results in rank order."""

from __future__ import annotations

from llamafarm_core.retrieval.tokens import count_tokens, fit_budget, truncate
from llamafarm_core.vectors import SearchHit


def test_count_tokens() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("") == 0
    assert count_tokens("a" * 8) == 1 and count_tokens("a" * 9) == 2 and count_tokens("a" * 17) == 3


def test_truncate_ends_on_a_token() -> None:
    assert truncate("one two three four", 2) == "one two"
    assert truncate("one, two", 2) == "one,"
    assert truncate("one two", 10) == "one two"
    assert truncate("one two", 0) == ""


def test_budget_keeps_whole_results_then_cuts_one_and_drops_the_rest() -> None:
    hits = [
        SearchHit("a", "alpha beta gamma", 0.9),
        SearchHit("b", "delta epsilon zeta eta", 0.8),
        SearchHit("c", "theta", 0.7),
    ]
    out = fit_budget(hits, 5)
    assert [h.id for h in out] == ["a", "b"]
    assert out[0].text == "alpha beta gamma" and "truncated" not in out[0].metadata
    assert out[1].text == "delta epsilon" and out[1].metadata["truncated"] is True
    assert sum(count_tokens(h.text) for h in out) == 5
    assert [h.id for h in fit_budget(hits, 100)] == ["a", "b", "c"]
    assert [h.text for h in fit_budget(hits, 1)] == ["alpha"]
