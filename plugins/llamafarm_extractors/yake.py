"""YAKE keywords (Campos et al., 2020): unsupervised, statistical, single-document; lower is better."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from pydantic import Field

from ._base import ChunkwiseExtractor, KeywordOptions, Scored, keyword_metadata
from ._text import PHRASE_BREAK_RE, STOPWORDS, WORD_RE, is_number, split_sentences


class YakeConfig(KeywordOptions):
    max_ngram_size: int = Field(default=3, ge=1, le=6, description="Longest keyword, in words.")
    deduplication_threshold: float = Field(
        default=0.9, gt=0, le=1, description="Skip a keyword this similar (0–1) to a better one already kept."
    )
    window_size: int = Field(default=1, ge=1, le=5, description="Co-occurrence window, in words.")
    language: str = Field(
        default="en", description="Only English stopwords are shipped; other values use them too."
    )


@dataclass
class _Term:
    tf: int = 0
    tf_capital: int = 0  # capitalised, not sentence-initial
    tf_acronym: int = 0
    sentences: set[int] = field(default_factory=set)
    stopword: bool = False
    number: bool = False
    score: float = 0.0


def _chunks(text: str) -> list[tuple[int, list[str], list[str]]]:
    """(sentence index, tokens, lower-cased tokens) for each punctuation-free piece of each
    sentence."""
    out = []
    for s_index, sentence in enumerate(split_sentences(text)):
        for piece in PHRASE_BREAK_RE.split(sentence):
            tokens = WORD_RE.findall(piece)
            if tokens:
                out.append((s_index, tokens, [t.lower() for t in tokens]))
    return out


def _median(values: list[int]) -> float:
    """The median of sorted ``values`` (statistics.median, without its generality)."""
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _term_scores(
    pieces: list[tuple[int, list[str], list[str]]], window: int
) -> tuple[dict[str, _Term], Counter[tuple[str, str]]]:
    tf: Counter[str] = Counter()  # in order of first occurrence, as the scores are summed
    sentences: defaultdict[str, set[int]] = defaultdict(set)
    capital: Counter[str] = Counter()
    acronym: Counter[str] = Counter()
    edges: Counter[tuple[str, str]] = Counter()
    previous_sentence = -1
    for s_index, tokens, lows in pieces:
        tf.update(lows)
        for low in set(lows):
            sentences[low].add(s_index)
        for i, (token, low) in enumerate(zip(tokens, lows, strict=True)):
            if token == low:
                continue  # no capital letter
            if token.isupper() and len(token) > 1:
                acronym[low] += 1
            elif token[0].isupper() and not (i == 0 and s_index != previous_sentence):
                capital[low] += 1  # capitalised, and not because it starts the sentence
        previous_sentence = s_index
        for gap in range(1, window + 1):  # co-occurrences up to ``window`` words apart
            edges.update(zip(lows, lows[gap:], strict=False))
    terms: dict[str, _Term] = defaultdict(_Term)
    for low, count in tf.items():
        number = is_number(low)
        terms[low] = _Term(
            tf=count,
            tf_capital=capital[low],
            tf_acronym=acronym[low],
            sentences=sentences[low],
            stopword=number or low in STOPWORDS or len(low) < 3,
            number=number,
        )
    # Distinct neighbours and co-occurrence totals on each side of every term.
    left_n: Counter[str] = Counter()
    left_w: Counter[str] = Counter()
    right_n: Counter[str] = Counter()
    right_w: Counter[str] = Counter()
    for (a, b), weight in edges.items():
        right_n[a] += 1
        right_w[a] += weight
        left_n[b] += 1
        left_w[b] += weight
    valid = [t.tf for t in terms.values() if not t.stopword] or [1]
    mean_tf = sum(valid) / len(valid)
    std_tf = math.sqrt(sum((x - mean_tf) ** 2 for x in valid) / len(valid))
    max_tf = max(t.tf for t in terms.values())
    n_sentences = max(1, len({s for s, _, _ in pieces}))
    for word, t in terms.items():
        if t.stopword:
            continue  # stopwords inside a keyword are weighed by their bigrams instead
        lw, rw = left_w.get(word, 0), right_w.get(word, 0)
        wl = left_n[word] / lw if lw else 0.0
        wr = right_n[word] / rw if rw else 0.0
        relatedness = 1 + (wl + wr) * t.tf / max_tf
        casing = max(t.tf_capital, t.tf_acronym) / (1 + math.log(t.tf))
        position = math.log(math.log(3 + _median(sorted(t.sentences))))
        frequency = t.tf / (mean_tf + std_tf)
        spread = len(t.sentences) / n_sentences
        t.score = (relatedness * position) / (casing + frequency / relatedness + spread / relatedness)
    return terms, edges


def _candidates(
    pieces: list[tuple[int, list[str], list[str]]], terms: dict[str, _Term], max_n: int
) -> Counter[tuple[str, ...]]:
    """How often each candidate n-gram occurs: up to ``max_n`` words, no stopword at either
    edge, no number anywhere."""
    stop = {w for w, t in terms.items() if t.stopword}
    numbers = {w for w, t in terms.items() if t.number}
    counts: Counter[tuple[str, ...]] = Counter()
    for _, _, lows in pieces:
        size = len(lows)
        for i in range(size):
            if lows[i] in stop:
                continue
            for end in range(i + 1, min(i + max_n, size) + 1):
                last = lows[end - 1]
                if last in numbers:
                    break
                if last not in stop:
                    counts[tuple(lows[i:end])] += 1
    return counts


def yake(text: str, cfg: YakeConfig) -> Scored:
    """(keyword, score) best (lowest score) first, near-duplicates removed."""
    pieces = _chunks(text)
    if not pieces:
        return []
    terms, edges = _term_scores(pieces, cfg.window_size)
    scored = []
    for gram, tf in _candidates(pieces, terms, cfg.max_ngram_size).items():
        prod, total = 1.0, 0.0
        for k, word in enumerate(gram):
            t = terms[word]
            if not t.stopword:
                prod *= t.score
                total += t.score
            else:  # a stopword inside: weigh by how strongly it binds its neighbours
                before = edges[(gram[k - 1], word)] / terms[gram[k - 1]].tf
                after = edges[(word, gram[k + 1])] / terms[gram[k + 1]].tf
                prod *= 2 - before * after
                total -= 1 - before * after
        phrase = " ".join(gram)
        if len(phrase) >= cfg.min_keyword_length:
            scored.append((phrase, prod / (max(total + 1, 1e-9) * tf)))
    scored.sort(key=lambda ps: ps[1])
    return _deduplicate(scored, cfg.deduplication_threshold, cfg.max_keywords)


def _similar(phrase: str, kept: tuple[str, SequenceMatcher[str]], threshold: float) -> bool:
    """difflib's ratio of ``phrase`` to a kept keyword ≥ threshold, trying its cheap upper
    bounds first. The kept keyword comes with a matcher holding it as the second sequence,
    whose index difflib builds once."""
    a, b = len(phrase), len(kept[0])
    if 2 * min(a, b) < threshold * (a + b):
        return False  # even a perfect match of the shorter one can't reach the threshold
    matcher = kept[1]
    matcher.set_seq1(phrase)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold


def _deduplicate(scored: Scored, threshold: float, limit: int) -> Scored:
    kept: Scored = []
    matchers: list[tuple[str, SequenceMatcher[str]]] = []
    for phrase, score in scored:
        if threshold < 1 and any(_similar(phrase, m, threshold) for m in matchers):
            continue
        kept.append((phrase, score))
        matchers.append((phrase, SequenceMatcher(None, "", phrase)))
        if len(kept) >= limit:
            break
    return kept


class YAKEExtractor(ChunkwiseExtractor[YakeConfig]):
    """Adds ``keywords`` (best first) and ``yake_keywords`` ([[keyword, score]], LOWER is
    better, as in YAKE). Features per word: casing, position, frequency, relatedness to
    its context and spread over sentences; n-grams may hold stopwords inside, never at
    the edges."""

    name = "yake"
    aliases = ("YAKEExtractor", "YakeExtractor", "yake_extractor")
    description = "YAKE keywords per chunk."

    def extract_text(self, text: str) -> dict[str, Any]:
        return keyword_metadata("yake_keywords", yake(text, self.config), digits=6)
