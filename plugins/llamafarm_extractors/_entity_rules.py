"""The heuristic named-entity recogniser used when spaCy (or its model) isn't installed.

Two passes. First, typed regexes (emails, URLs, dates, times, money, percentages, phone
numbers, CFR citations, trademarked products, titled persons) claim their spans. Then
capitalised-word sequences in the rest of the text are classified by word lists: an
organisation suffix or head ("... Administration", "University of ..."), places, facility,
event and law suffixes, nationalities, and first names for people.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from . import _gazetteer as gz
from ._regexes import EMAIL_RE, MONEY_RE, PERCENT_RE, PHONE_RE, find_urls, valid_phone
from ._temporal import find_dates, find_relative, find_times

Found = tuple[str, int, int, str]  # (label, start, end, text)

YEAR_RE = re.compile(
    r"\b(?:in|since|by|during|until|before|after|from|of|year|fiscal\s+year|FY)\s+((?:1[5-9]|20)\d\d)s?\b"
)
CFR_RE = re.compile(r"\b\d+\s+(?:CFR|C\.F\.R\.|U\.S\.C\.|USC)\s+(?:Part\s+)?\d+(?:\.\d+)*\b")
TRADEMARK_RE = re.compile(r"\b([A-Z][\w-]*(?:\s[A-Z][\w-]*){0,3})\s?[™®]")
VERSIONED_RE = re.compile(
    r"\b([A-Z][A-Za-z]*[a-z][A-Za-z]*|[a-z]+[A-Z][A-Za-z]*)\s(\d{1,4}(?:\.\d+)*[a-z]?|X|XS|Pro|Max|Plus|Ultra)\b"
)
_TITLES = "|".join(re.escape(t) for t in sorted(gz.TITLES + gz.HONORIFICS, key=len, reverse=True))
_HONORIFICS = "|".join(re.escape(t) for t in sorted(gz.HONORIFICS, key=len, reverse=True))
_NAME = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?"
# A title before two or more names ("Commissioner Jane Smith"), or an honorific before one ("Dr. Lee").
TITLED_PERSON_RE = re.compile(
    rf"\b(?:{_TITLES})\.?\s+((?:{_NAME}|[A-Z]\.)(?:\s+(?:{_NAME}|[A-Z]\.))*(?:\s+{_NAME}))"
    rf"|\b(?:{_HONORIFICS})\.?\s+({_NAME})"
)
_TOKEN = r"[A-Z](?:[\w&'’-]|\.(?=[A-Za-z]))*\.?"
_CONNECTOR = r"(?:of|and|for|the|on|de|du|da|del|von|van|der|la|le|&)"
CAP_SPAN_RE = re.compile(rf"{_TOKEN}(?:[ \t]+(?:{_CONNECTOR}[ \t]+)*{_TOKEN})*")
ACRONYM_AFTER_RE = re.compile(r"\s*\(([A-Z][A-Z&]{1,9})\)")
_KEEP_DOT = frozenset({"inc.", "corp.", "co.", "ltd.", "jr.", "sr.", "bros.", "st.", "mt.", "d.c."})


_UPPER_RE = re.compile(r"[A-Z]")


def _regex_pass(text: str) -> Iterator[Found]:
    if "@" in text:
        for m in EMAIL_RE.finditer(text):
            yield "EMAIL", m.start(), m.end(), m.group(0)
    pos = 0
    for url in find_urls(text):
        start = text.find(url, pos)
        pos = start + len(url)
        yield "URL", start, pos, url
    for d in find_dates(text):
        yield "DATE", d.start, d.end, d.text
    for r in find_relative(text):
        yield "DATE", r.start, r.end, r.text
    for m in YEAR_RE.finditer(text):
        yield "DATE", m.start(1), m.end(0), m.group(0)[m.start(1) - m.start() :]
    for t in find_times(text):
        yield "TIME", t.start, t.end, t.text
    for m in MONEY_RE.finditer(text):
        yield "MONEY", m.start(), m.end(), m.group(0)
    for m in PERCENT_RE.finditer(text):
        yield "PERCENT", m.start(), m.end(), m.group(0)
    for m in PHONE_RE.finditer(text):
        if valid_phone(m.group(0)):
            yield "PHONE", m.start(), m.end(), m.group(0)
    for m in CFR_RE.finditer(text):
        yield "LAW", m.start(), m.end(), m.group(0)
    if not _UPPER_RE.search(text):
        return  # the rest needs capital letters
    for m in TRADEMARK_RE.finditer(text) if "™" in text or "®" in text else ():
        tokens = _trim(m.group(1).split())
        if tokens:
            start = m.start(1) + m.group(1).find(tokens[0])
            yield "PRODUCT", start, m.end(1), text[start : m.end(1)]
    for m in VERSIONED_RE.finditer(text):
        if m.group(1).lower() not in gz.NOT_PRODUCT_WORDS and m.group(1).lower() not in gz.LEADING_NOISE:
            yield "PRODUCT", m.start(), m.end(), m.group(0)
    for m in TITLED_PERSON_RE.finditer(text):
        name = m.group(1) or m.group(2)
        if name.split()[-1].lower() not in gz.ORG_SUFFIXES:
            yield "PERSON", m.start(), m.end(), name


def _org_head(low: list[str]) -> int | None:
    """Index of the first "<Head> of/for" ("University of", "Bureau of"), if any."""
    for i in range(len(low) - 2):
        if low[i] in gz.ORG_HEADS and low[i + 1] in ("of", "for"):
            return i
    return None


def _org_tokens(tokens: list[str]) -> list[str]:
    """Drop words before an "of"/"for" that belong to the sentence, not the name
    ("Shares of Globex Corp" → "Globex Corp"), unless the name has a head ("Bank of ...")."""
    low = [t.lower() for t in tokens]
    if _org_head(low) is not None:
        return tokens
    cut = max((i for i, w in enumerate(low) if w in ("of", "for")), default=-1)
    rest = tokens[cut + 1 :]
    while rest and rest[0].lower() in _EDGE_WORDS:
        rest = rest[1:]
    return rest or tokens


def _classify(tokens: list[str]) -> str | None:
    low = [t.lower() for t in tokens]
    phrase = " ".join(low)
    if low[-1] in gz.ORG_SUFFIXES or _org_head(low) is not None:
        return "ORG"
    if " ".join(tokens) in gz.KNOWN_ORGS:
        return "ORG"
    if phrase in gz.GPE:
        return "GPE"
    if len(low) > 1 and (low[-1] in gz.LOC_SUFFIXES or low[0] in gz.LOC_HEADS):
        return "LOCATION"
    if len(low) > 1 and low[-1] in gz.FAC_SUFFIXES:
        return "FAC"
    if len(low) > 1 and low[-1] in gz.EVENT_SUFFIXES:
        return "EVENT"
    if len(low) > 1 and low[-1] in gz.LAW_SUFFIXES:
        return "LAW"
    if len(low) == 1 and phrase in gz.NORP:
        return "NORP"
    all_names = 2 <= len(tokens) <= 4 and all(t[0].isupper() for t in tokens)
    if all_names and (low[0] in gz.FIRST_NAMES or (len(tokens) > 2 and re.fullmatch(r"[A-Z]\.", tokens[1]))):
        return "PERSON"
    return None


def _trim(tokens: list[str]) -> list[str]:
    """Drop sentence-initial noise ("The", "Yesterday") and connector words at the edges."""
    while tokens and (tokens[0].lower() in gz.LEADING_NOISE or tokens[0].lower() in _EDGE_WORDS):
        tokens = tokens[1:]
    while tokens and tokens[-1].lower() in _EDGE_WORDS:
        tokens = tokens[:-1]
    if (
        tokens
        and tokens[-1].endswith(".")
        and tokens[-1].lower() not in _KEEP_DOT
        and tokens[-1].count(".") == 1
    ):
        tokens = [*tokens[:-1], tokens[-1][:-1]]
    return [t for t in tokens if t]


_EDGE_WORDS = frozenset(
    {"the", "a", "an", "of", "and", "for", "on", "in", "&", "this", "that", "these", "our"}
)


def _pieces(tokens: list[str]) -> Iterator[list[str]]:
    """Split a capitalised run where a sentence ends inside it ("Bridge. Clean Air Act")."""
    piece: list[str] = []
    for token in tokens:
        piece.append(token)
        low = token.lower()
        if low.endswith(".") and low not in _KEEP_DOT and low.count(".") == 1 and len(low) > 2:
            yield piece
            piece = []
    if piece:
        yield piece


def _classified(tokens: list[str]) -> Iterator[tuple[str, list[str]]]:
    """The run as one entity, or else each side of its "and"/"&" ("General Motors and Mary Lee")."""
    tokens = _trim(tokens)
    if not tokens:
        return
    label = _classify(tokens)
    if label is not None:
        yield label, _org_tokens(tokens) if label == "ORG" else tokens
        return
    if "and" in tokens or "&" in tokens:
        cut = tokens.index("and") if "and" in tokens else tokens.index("&")
        yield from _classified(tokens[:cut])
        yield from _classified(tokens[cut + 1 :])


def _span_pass(text: str) -> Iterator[Found]:
    if not _UPPER_RE.search(text):
        return
    for m in CAP_SPAN_RE.finditer(text):
        offset = m.start()
        cursor = 0
        raw = m.group(0)
        for piece in _pieces(raw.split()):
            for label, tokens in _classified(piece):
                phrase = " ".join(tokens)
                start = raw.find(tokens[0], cursor)
                cursor = start + len(tokens[0])
                yield label, offset + start, offset + start + len(phrase), phrase
                if label == "ORG":
                    acronym = ACRONYM_AFTER_RE.match(text, offset + start + len(phrase) + 1)
                    if acronym:
                        yield "ORG", acronym.start(1), acronym.end(1), acronym.group(1)


def recognise(text: str, wanted: Callable[[str], bool]) -> list[tuple[str, str]]:
    """(label, text) of every entity found, in text order; ``wanted(label)`` filters early."""
    mask = bytearray(len(text))
    claimed: list[tuple[int, int]] = []
    found: list[Found] = []
    for label, start, end, value in _regex_pass(text):
        if any(mask[start:end]):
            continue
        mask[start:end] = b"\x01" * (end - start)
        claimed.append((start, end))
        if wanted(label):
            found.append((label, start, end, value))
    # Blank out claimed spans so capitalised sequences can't run through them.
    pieces, pos = [], 0
    for start, end in sorted(claimed):
        pieces += [text[pos:start], " " * (end - start)]
        pos = end
    masked = "".join([*pieces, text[pos:]])
    for label, start, end, value in _span_pass(masked):
        if wanted(label):
            found.append((label, start, end, value))
    found.sort(key=lambda f: f[1])
    return [(label, value) for label, _, _, value in found]
