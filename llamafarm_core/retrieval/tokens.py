"""``max_tokens``: the returned contents fit a token budget.

Tokens are approximated without a model: every word (a run of letters/digits) and every
punctuation mark is one token, and a word longer than 8 characters counts one more token
per further 8 characters (long words split into several word pieces in real tokenizers).
For English prose this lands within ~15% of a BERT or GPT tokenizer's count.

The budget is shared by the results in rank order: results are kept whole while they fit;
the one that crosses the budget is cut at a token boundary (its metadata gets
``"truncated": true``); the results after it are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from llamafarm_core.vectors import SearchHit

_PIECE = re.compile(r"\w+|[^\w\s]")
_LONG = 8


def _cost(piece: str) -> int:
    return 1 + (len(piece) - 1) // _LONG


def count_tokens(text: str) -> int:
    """The approximate number of tokens in ``text``."""
    return sum(_cost(m.group()) for m in _PIECE.finditer(text))


def truncate(text: str, budget: int) -> str:
    """The longest prefix of ``text`` that ends on a token and costs at most ``budget``."""
    used = 0
    end = 0
    for m in _PIECE.finditer(text):
        cost = _cost(m.group())
        if used + cost > budget:
            break
        used += cost
        end = m.end()
    return text[:end]


def fit_budget(hits: Sequence[SearchHit], max_tokens: int) -> list[SearchHit]:
    """The hits whose contents fit ``max_tokens`` together (see the module doc)."""
    out: list[SearchHit] = []
    left = max_tokens
    for hit in hits:
        if left <= 0:
            break
        cost = count_tokens(hit.text)
        if cost <= left:
            out.append(hit)
            left -= cost
            continue
        text = truncate(hit.text, left)
        if text:
            out.append(SearchHit(hit.id, text, hit.score, {**hit.metadata, "truncated": True}))
        break
    return out
