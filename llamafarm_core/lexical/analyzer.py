"""The text analyzer of the lexical index: lower-case words, English stopwords removed,
Snowball (Porter 2) English stemming.

Index and query go through the same function, so "flows" finds "flow" and "the" finds
nothing. Tokens are runs of two or more letters/digits (``\\w\\w+``, Unicode-aware), the same
rule as scikit-learn and bm25s; accents are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"(?u)\b\w\w+\b")

# NLTK's English list (as shipped by bm25s), plus a few query words that carry no topic.
_STOPWORD_TEXT = """a about above after again against ain all am an and any are aren as at be because been before
    being below between both but by can couldn d did didn do does doesn doing don down during each few for
    from further had hadn has hasn have haven having he her here hers herself him himself his how i if in
    into is isn it its itself just ll m ma me mightn more most mustn my myself needn no nor not now o of off
    on once only or other our ours ourselves out over own re s same shan she should shouldn so some such t
    than that the their theirs them themselves then there these they this those through to too under until
    up ve very was wasn we were weren what when where which while who whom why will with won wouldn y you
    your yours yourself yourselves also could may might must shall would"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # PyStemmer: a small C extension, loaded on first use

    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """The index terms of ``text``, in order, repeats kept (term frequency matters)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS]
    return list(_stemmer().stemWords(words)) if words else []


def query_terms(text: str) -> list[str]:
    """The distinct index terms of a query, in order of first appearance."""
    return list(dict.fromkeys(analyze(text)))
