"""Regexes for contacts, links, money and percentages, shared by the entity, link and pattern extractors."""

from __future__ import annotations

import re

EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])")
URL_RE = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'`{}|\\^\[\]]+", re.IGNORECASE)
# Candidates only; `valid_phone` checks the digit count.
PHONE_RE = re.compile(
    r"(?<![\w+.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?|\d{1,4}[\s.-])?\d{2,4}[\s.-]\d{3,4}(?:[\s.-]\d{2,4})?(?![\w-]|\.\d)"
)
MENTION_RE = re.compile(r"(?<![\w@./])@[A-Za-z_][A-Za-z0-9_]{0,38}\b(?!@|\.\w)")
HASHTAG_RE = re.compile(r"(?<![\w#&/])#[A-Za-z_](?:[\w-]*\w)?")

MONEY_RE = re.compile(
    r"(?:US\$|[$€£¥₹]|\b(?:USD|EUR|GBP|JPY)\s?)\d+(?:,\d{3})*(?:\.\d+)?(?:\s?(?:million|billion|trillion|thousand|bn|[MBK])\b)?"
    r"|\b\d+(?:,\d{3})*(?:\.\d+)?\s?(?:million|billion|trillion|thousand)?\s?(?:dollars|euros|pounds|cents|USD|EUR|GBP)\b",
    re.IGNORECASE,
)
PERCENT_RE = re.compile(
    r"(?<![\w.])[-+]?\d+(?:\.\d+)?\s?(?:%|percent\b|per\s?cent\b|percentage\s+points?\b)", re.IGNORECASE
)

_URL_TRAILING = ".,;:!?'\")]}>*_"


def clean_url(url: str) -> str:
    """Strip sentence punctuation glued to a URL, keeping balanced parentheses."""
    while url and url[-1] in _URL_TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def find_emails(text: str) -> list[str]:
    return [m.group(0) for m in EMAIL_RE.finditer(text)] if "@" in text else []


def find_urls(text: str) -> list[str]:
    if "://" not in text and "www." not in text.lower():
        return []
    return [u for u in (clean_url(m.group(0)) for m in URL_RE.finditer(text)) if len(u) > 7]


def valid_phone(candidate: str) -> bool:
    """A phone number has 10–15 digits (7 with a separator after the third, e.g. 555-1234)."""
    digits = sum(c.isdigit() for c in candidate)
    return 10 <= digits <= 15 or (digits == 7 and re.fullmatch(r"\d{3}[-.]\d{4}", candidate) is not None)


def find_phones(text: str) -> list[str]:
    return [m.group(0).strip() for m in PHONE_RE.finditer(text) if valid_phone(m.group(0))]
