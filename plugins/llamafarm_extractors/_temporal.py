"""Finding dates, times and relative date expressions in text, and normalising them to ISO.

Shared by the datetime, entity and pattern extractors. Nothing here looks at the clock:
relative expressions resolve only against an explicit reference date, so results are
deterministic.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from ._text import word_list

MONTH_NAMES = word_list(
    """
    january february march april may june july august september october november december
    """
)
WEEKDAY_NAMES = word_list(
    """
    monday tuesday wednesday thursday friday saturday sunday
    """
)
MONTHS: dict[str, int] = {}
for _i, _name in enumerate(MONTH_NAMES, start=1):
    MONTHS[_name] = _i
    MONTHS[_name[:3]] = _i
MONTHS["sept"] = 9

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ORD = r"(?:st|nd|rd|th)?"

ISO_RE = re.compile(
    r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w-])"
)
YMD_RE = re.compile(r"(?<![\w/.])(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?![\w/]|\.\d)")
NUMERIC_RE = re.compile(r"(?<![\w/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/\-]|\.\d)")
MONTH_FIRST_RE = re.compile(
    rf"\b({_MONTH})\.?\s+(?:(\d{{1,2}}){_ORD}\b(?:,?\s+(\d{{4}})\b)?|(\d{{4}})\b)", re.IGNORECASE
)
DAY_FIRST_RE = re.compile(
    rf"\b(\d{{1,2}}){_ORD}\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s+(\d{{4}})\b)?", re.IGNORECASE
)

TIME_RE = re.compile(
    r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?:\s*([ap])(?:\.m\b\.?|\s?m\b))?(?![\w:])",
    re.IGNORECASE,
)
HOUR_AMPM_RE = re.compile(r"(?<![\w:.])(1[0-2]|0?[1-9])\s*([ap])(?:\.m\b\.?|\s?m\b)", re.IGNORECASE)
NOON_RE = re.compile(r"\b(noon|midnight)\b", re.IGNORECASE)

_COUNT_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "several": 3,
}  # fmt: skip
_COUNT = r"(?:\d{1,3}|" + "|".join(_COUNT_WORDS) + ")"
_UNIT = r"(?:day|week|month|quarter|year)s?"
_DIR_UNIT = r"(?:day|week|weekend|month|quarter|year|" + "|".join(WEEKDAY_NAMES) + ")"
RELATIVE_RE = re.compile(
    r"\b(?:(?P<word>today|tomorrow|yesterday|tonight)"
    r"|the\s+day\s+(?P<around>before\s+yesterday|after\s+tomorrow)"
    rf"|(?P<dir>next|last|this|coming|past|previous)\s+(?P<dunit>{_DIR_UNIT})"
    rf"|(?P<n>{_COUNT})\s+(?P<unit>{_UNIT})\s+(?P<when>ago|from\s+now|later|earlier|hence|before|after)"
    rf"|in\s+(?P<in_n>{_COUNT})\s+(?P<in_unit>{_UNIT}))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMatch:
    """A date found in text. ``iso`` is YYYY-MM-DD (or YYYY-MM for "March 2024"), or None
    when the text doesn't pin a valid date (e.g. "March 5" without a year)."""

    start: int
    end: int
    text: str
    iso: str | None
    time: str | None = None


@dataclass(frozen=True)
class TimeMatch:
    start: int
    end: int
    text: str
    iso: str  # HH:MM or HH:MM:SS, 24-hour


@dataclass(frozen=True)
class RelativeMatch:
    """ "3 days ago" → unit "day", amount -3; "next friday" → unit "friday", amount 1."""

    start: int
    end: int
    text: str
    unit: str
    amount: int


def iso_date(year: int, month: int, day: int) -> str | None:
    """``YYYY-MM-DD`` when the parts make a real calendar date, else None."""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def expand_year(year: str) -> int:
    """Two-digit years pivot at 70: 24 → 2024, 85 → 1985."""
    y = int(year)
    if len(year) == 2:
        return y + (2000 if y < 70 else 1900)
    return y


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in taken)


def find_dates(text: str, *, day_first: bool = False) -> list[DateMatch]:
    """Non-overlapping dates in text order. Numeric dates are month-first unless
    ``day_first`` (or the first number can only be a day, e.g. 31/01/2024); dotted
    numeric dates (05.03.2024) are read day-first, as they are written in Europe. A day and
    month without a year ("March 5") count only with a capitalised month name."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], iso: str | None, time: str | None = None) -> None:
        if not _overlaps(taken, m.start(), m.end()):
            taken.append((m.start(), m.end()))
            found.append(DateMatch(m.start(), m.end(), m.group(0), iso, time))

    for m in ISO_RE.finditer(text):
        y, mo, d, hh, mm, ss = m.groups()
        iso = iso_date(int(y), int(mo), int(d))
        if iso is None:
            continue
        time = None
        if hh is not None and int(hh) < 24 and int(mm) < 60:
            time = f"{int(hh):02d}:{mm}" + (f":{ss}" if ss else "")
        add(m, iso, time)
    for m in YMD_RE.finditer(text):
        iso = iso_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if iso:
            add(m, iso)
    for m in NUMERIC_RE.finditer(text):
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), expand_year(m.group(4))
        first_is_day = day_first or sep == "." or a > 12
        iso = iso_date(y, b, a) if first_is_day else iso_date(y, a, b)
        if iso:
            add(m, iso)
    for m in DAY_FIRST_RE.finditer(text):
        day, month, year = int(m.group(1)), MONTHS[m.group(2).lower()], m.group(3)
        if year:
            iso = iso_date(int(year), month, day)
            if iso:
                add(m, iso)
        elif 1 <= day <= 31 and m.group(2)[0].isupper():
            add(m, None)
    for m in MONTH_FIRST_RE.finditer(text):
        month = MONTHS[m.group(1).lower()]
        day_text, year, year_only = m.group(2), m.group(3), m.group(4)
        if year_only:
            add(m, f"{int(year_only):04d}-{month:02d}")
        elif year:
            iso = iso_date(int(year), month, int(day_text))
            if iso:
                add(m, iso)
        elif 1 <= int(day_text) <= 31 and m.group(1)[0].isupper():
            add(m, None)
    found.sort(key=lambda d: d.start)
    return found


def _to_24h(hour: int, ampm: str | None) -> int:
    if not ampm:
        return hour
    if ampm.lower() == "a":
        return 0 if hour == 12 else hour
    return hour if hour == 12 else hour + 12


def find_times(text: str) -> list[TimeMatch]:
    """Clock times in text order: "14:30", "14:30:05", "2:30 pm", "2 p.m.", "noon"."""
    found: list[TimeMatch] = []
    taken: list[tuple[int, int]] = []
    for m in TIME_RE.finditer(text):
        hour, minute, second, ampm = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        if ampm and not 1 <= hour <= 12:
            continue
        iso = f"{_to_24h(hour, ampm):02d}:{minute}" + (f":{second}" if second else "")
        taken.append((m.start(), m.end()))
        found.append(TimeMatch(m.start(), m.end(), m.group(0), iso))
    for m in HOUR_AMPM_RE.finditer(text):
        if not _overlaps(taken, m.start(), m.end()):
            iso = f"{_to_24h(int(m.group(1)), m.group(2)):02d}:00"
            found.append(TimeMatch(m.start(), m.end(), m.group(0), iso))
    for m in NOON_RE.finditer(text):
        found.append(
            TimeMatch(m.start(), m.end(), m.group(0), "12:00" if m.group(1).lower() == "noon" else "00:00")
        )
    found.sort(key=lambda t: t.start)
    return found


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _COUNT_WORDS[word.lower()]


def find_relative(text: str) -> list[RelativeMatch]:
    """Relative date expressions in text order, with their unit and signed amount."""
    out = []
    for m in RELATIVE_RE.finditer(text):
        g = m.groupdict()
        if g["word"]:
            unit, amount = (
                "day",
                {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1}[g["word"].lower()],
            )
        elif g["around"]:
            unit, amount = "day", (-2 if g["around"].lower().startswith("before") else 2)
        elif g["dir"]:
            unit = g["dunit"].lower()
            amount = {"next": 1, "coming": 1, "this": 0}.get(g["dir"].lower(), -1)
        elif g["n"]:
            unit = g["unit"].lower().rstrip("s")
            forward = g["when"].lower().split()[0] in ("from", "later", "hence", "after")
            amount = _count(g["n"]) * (1 if forward else -1)
        else:
            unit, amount = g["in_unit"].lower().rstrip("s"), _count(g["in_n"])
        out.append(RelativeMatch(m.start(), m.end(), " ".join(m.group(0).split()), unit, amount))
    return out


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def resolve_relative(rel: RelativeMatch, reference: date) -> str:
    """The ISO date a relative expression points at, seen from ``reference``.

    Weeks and weekends move by whole weeks ("this weekend" is the coming Saturday);
    "next friday" is the first Friday after the
    reference date, "last friday" the last one before it, "this friday" the one in the
    reference date's (Monday-based) week.
    """
    unit, n = rel.unit, rel.amount
    if unit == "day":
        return (reference + timedelta(days=n)).isoformat()
    if unit == "week":
        return (reference + timedelta(weeks=n)).isoformat()
    if unit == "weekend":
        saturday = reference + timedelta(days=(5 - reference.weekday()) % 7)
        return (saturday + timedelta(weeks=n)).isoformat()
    if unit in ("month", "quarter", "year"):
        return _add_months(reference, n * {"month": 1, "quarter": 3, "year": 12}[unit]).isoformat()
    target = WEEKDAY_NAMES.index(unit)
    if n > 0:
        ahead = (target - reference.weekday() - 1) % 7 + 1
        return (reference + timedelta(days=ahead)).isoformat()
    if n < 0:
        back = (reference.weekday() - target - 1) % 7 + 1
        return (reference - timedelta(days=back)).isoformat()
    return (reference + timedelta(days=target - reference.weekday())).isoformat()
