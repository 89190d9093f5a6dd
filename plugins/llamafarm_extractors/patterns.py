"""Built-in patterns (emails, IPs, ISBNs, card numbers, ...) and user regexes."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from llamafarm_core.plugin_api import PluginConfig

from ._base import ChunkwiseExtractor, unique
from ._regexes import HASHTAG_RE, MENTION_RE, MONEY_RE, PERCENT_RE, find_emails, find_phones, find_urls
from ._temporal import find_dates, find_times
from ._text import word_list

_IPV4_RE = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d|\w)"
)
_IPV6_RE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:])")
_STATES = frozenset(
    word_list(
        """
    AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH
    NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR
    """
    )
)
_ZIP_RE = re.compile(r"\b([A-Z]{2}),?\s+(\d{5}(?:-\d{4})?)\b|\b(\d{5}-\d{4})\b")
_ISBN_RE = re.compile(
    r"\bISBN(?:-1[03])?:?\s*((?:[\dXx][-\s]?){9,16}[\dXx])\b|\b(97[89][-\s]?(?:\d[-\s]?){9}\d)\b"
)
_DOI_RE = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
_UUID_RE = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_SSN_RE = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
_VERSION_RE = re.compile(
    r"\b[vV]\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?\b"
    r"|(?<![\d.])\d{1,4}\.\d{1,4}\.\d{1,3}(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?(?![.\d])"
    r"|(?<=[Vv]ersion )\d+(?:\.\d+)+\b"
)


def luhn_valid(number: str) -> bool:
    """The Luhn checksum of a card number (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def isbn_valid(raw: str) -> bool:
    digits = re.sub(r"[-\s]", "", raw).upper()
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        return sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(digits)) % 10 == 0
    return False


def _ips(text: str) -> list[str]:
    found = [m.group(0) for m in _IPV4_RE.finditer(text)]
    for m in _IPV6_RE.finditer(text):
        candidate = m.group(0)
        if any(c not in ":." for c in candidate):
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            found.append(candidate)
    return found


def _zips(text: str) -> list[str]:
    return [m.group(2) or m.group(3) for m in _ZIP_RE.finditer(text) if m.group(3) or m.group(1) in _STATES]


def _cards(text: str) -> list[str]:
    out = []
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            out.append(m.group(0))
    return out


def _findall(pattern: re.Pattern[str]) -> Callable[[str], list[str]]:
    return lambda text: [m.group(0) for m in pattern.finditer(text)]


BUILTINS: dict[str, Callable[[str], list[str]]] = {
    "email": find_emails,
    "phone": find_phones,
    "url": find_urls,
    "ip": _ips,
    "zip": _zips,
    "isbn": lambda t: [g for m in _ISBN_RE.finditer(t) if isbn_valid(g := m.group(1) or m.group(2))],
    "doi": lambda t: [m.group(0).rstrip(".,;:)]'\"") for m in _DOI_RE.finditer(t)],
    "uuid": _findall(_UUID_RE),
    "currency": _findall(MONEY_RE),
    "percentage": _findall(PERCENT_RE),
    "credit_card": _cards,
    "ssn": _findall(_SSN_RE),
    "date": lambda t: [d.text for d in find_dates(t)],
    "time": lambda t: [m.text for m in find_times(t)],
    "hashtag": _findall(HASHTAG_RE),
    "mention": _findall(MENTION_RE),
    "version": _findall(_VERSION_RE),
}
ALIASES = {
    "ip_address": "ip", "ipv4": "ip", "ipv6": "ip", "zip_code": "zip", "postal_code": "zip",
    "money": "currency", "percent": "percentage", "creditcard": "credit_card", "phone_number": "phone",
    "hashtags": "hashtag", "mentions": "mention", "emails": "email", "urls": "url",
}  # fmt: skip


# A custom pattern is the user's regex over the user's text: ``(a|aa)+$`` takes forever on a
# line of a's. It runs on the ``regex`` engine, which can stop a match after a time budget
# (``re`` cannot, and a thread cannot interrupt it).
CUSTOM_PATTERN_SECONDS = 1.0


def _check_regex(pattern: str) -> str:
    import regex

    try:
        regex.compile(pattern, regex.VERSION0)
    except (regex.error, re.error) as err:
        raise ValueError(f"invalid regular expression: {err}") from None
    return pattern


def _custom_finder(name: str, pattern: str, ignore_case: bool) -> Callable[[str], list[str]]:
    """A finder for a custom pattern that gives up (raises, so the extractor is skipped for
    the file with this reason) when one chunk takes longer than CUSTOM_PATTERN_SECONDS."""
    import regex

    compiled = regex.compile(pattern, regex.VERSION0 | (regex.IGNORECASE if ignore_case else 0))

    def find(text: str) -> list[str]:
        try:
            return [m.group(0) for m in compiled.finditer(text, timeout=CUSTOM_PATTERN_SECONDS)]
        except TimeoutError:
            raise ValueError(
                f"custom pattern {name!r} took longer than {CUSTOM_PATTERN_SECONDS:g} s on one chunk "
                "(nested repetition, like (a|aa)+$, can take exponential time)"
            ) from None

    return find


def _custom_as_mapping(value: Any) -> Any:
    """Accept the original's list form [{name, pattern, description}] as well as {name: regex}."""
    if isinstance(value, list):
        out = {}
        for item in value:
            if not isinstance(item, dict) or "name" not in item or "pattern" not in item:
                raise ValueError("each custom pattern needs 'name' and 'pattern'")
            out[str(item["name"])] = item["pattern"]
        return out
    return value


class PatternConfig(PluginConfig):
    patterns: list[str] = Field(
        default_factory=lambda: list(BUILTINS), description=f"Built-ins to run, from: {', '.join(BUILTINS)}."
    )
    custom_patterns: Annotated[
        dict[str, Annotated[str, AfterValidator(_check_regex)]], BeforeValidator(_custom_as_mapping)
    ] = Field(default_factory=dict, description="Your own {name: regex}; the whole match is recorded.")
    case_sensitive: bool = Field(default=True, description="Whether custom patterns match case-sensitively.")
    max_matches: int = Field(
        default=100, ge=1, description="Keep at most this many matches per pattern and chunk."
    )

    @field_validator("patterns")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        out = []
        for raw in value:
            name = ALIASES.get(raw.lower(), raw.lower())
            if name not in BUILTINS:
                raise ValueError(f"unknown pattern {raw!r}; built-ins: {', '.join(BUILTINS)}")
            out.append(name)
        return unique(out)

    @model_validator(mode="after")
    def _no_shadowing(self) -> PatternConfig:
        clash = sorted(set(self.custom_patterns) & (set(BUILTINS) | set(ALIASES)))
        if clash:
            raise ValueError(f"custom pattern names {clash} clash with built-in pattern names")
        return self


class PatternExtractor(ChunkwiseExtractor[PatternConfig]):
    """Adds ``patterns`` ({name: [unique matches in order]}, only patterns that matched) and
    ``pattern_count`` (their total). Built-ins validate what a regex can't: card numbers
    pass the Luhn check, ISBNs their check digit, IPv6 addresses parse, SSNs avoid the
    never-issued ranges, ZIP codes follow a state code ("MD 20993") or are ZIP+4.
    ``case_sensitive`` applies to ``custom_patterns``.
    """

    name = "patterns"
    aliases = ("PatternExtractor", "pattern_extractor")
    description = "Built-in and custom regex patterns."
    ignored_keys = frozenset({"include_context", "context_window"})

    def __init__(self, config: PatternConfig, **context: Any) -> None:
        super().__init__(config, **context)
        self._finders: dict[str, Callable[[str], list[str]]] = {n: BUILTINS[n] for n in self.config.patterns}
        for name, pattern in self.config.custom_patterns.items():
            self._finders[name] = _custom_finder(name, pattern, not self.config.case_sensitive)

    def extract_text(self, text: str) -> dict[str, Any]:
        found: dict[str, list[str]] = {}
        for name, finder in self._finders.items():
            matches = unique([m for m in finder(text) if m])[: self.config.max_matches]
            if matches:
                found[name] = matches
        return {"patterns": found, "pattern_count": sum(map(len, found.values()))}
