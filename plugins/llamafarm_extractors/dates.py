"""Dates, clock times and relative date expressions, normalised to ISO 8601."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import Field, field_validator

from llamafarm_core.plugin_api import PluginConfig

from ._base import ChunkwiseExtractor, unique
from ._temporal import MONTH_NAMES, WEEKDAY_NAMES, find_dates, find_relative, find_times, resolve_relative

_MONTHS_RE = "|".join(MONTH_NAMES)
_DIRECTIVES = {
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "m": r"\d{1,2}",
    "d": r"\d{1,2}",
    "B": _MONTHS_RE,
    "b": "|".join(m[:3] for m in MONTH_NAMES),
    "A": "|".join(WEEKDAY_NAMES),
    "a": "|".join(d[:3] for d in WEEKDAY_NAMES),
    "H": r"\d{1,2}",
    "I": r"\d{1,2}",
    "M": r"\d{2}",
    "S": r"\d{2}",
    "p": r"[AaPp][Mm]",
    "j": r"\d{1,3}",
    "%": "%",
}


def format_regex(fmt: str) -> re.Pattern[str]:
    """A regex matching text that ``datetime.strptime(text, fmt)`` may parse.

    Supports %Y %y %m %d %B %b %A %a %H %I %M %S %p %j %%; anything else is an error.
    """
    out, i = [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            code = fmt[i + 1 : i + 2]
            if code not in _DIRECTIVES:
                raise ValueError(f"unsupported directive %{code} in date format {fmt!r}")
            out.append(f"(?:{_DIRECTIVES[code]})")
            i += 2
        elif ch.isspace():
            # One \s+ for a run of spaces: adjacent \s+\s+... backtrack polynomially.
            if not out or out[-1] != r"\s+":
                out.append(r"\s+")
            i += 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile(r"(?<![\w])" + "".join(out) + r"(?![\w])", re.IGNORECASE)


class DateTimeConfig(PluginConfig):
    extract_times: bool = Field(default=True, description="Also find clock times (14:30, 2:30 pm).")
    extract_relative: bool = Field(
        default=True, description="Also find relative dates (yesterday, next week, 3 days ago)."
    )
    day_first: bool = Field(default=False, description="Read 03/05/2024 as 3 May (default: 5 March).")
    reference_date: date | None = Field(
        default=None,
        description="Resolve relative dates against this date (ISO); left unresolved when unset.",
    )
    date_formats: list[str] = Field(default_factory=list, description="Extra strptime formats to look for.")

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        for fmt in value:
            format_regex(fmt)
        return value


class DateTimeExtractor(ChunkwiseExtractor[DateTimeConfig]):
    """Adds ``dates`` (unique ISO dates, YYYY-MM-DD or YYYY-MM, in order of appearance),
    ``date_count`` (their number), ``times`` (unique HH:MM[:SS], 24-hour) and
    ``relative_dates`` ([{text, unit, amount}], plus ``date`` when ``reference_date`` is
    set). A day and month without a year ("March 5") isn't a date on its own and is left
    out. The clock is never read, so results don't change from day to day.
    """

    name = "datetime"
    aliases = ("DateTimeExtractor", "datetime_extractor", "date_time_extractor")
    description = "Dates, times and relative dates, normalised to ISO."
    ignored_keys = frozenset({"fuzzy_parsing", "default_timezone"})

    def __init__(self, config: DateTimeConfig, **context: Any) -> None:
        super().__init__(config, **context)
        self._formats = [(fmt, format_regex(fmt)) for fmt in self.config.date_formats]

    def extract_text(self, text: str) -> dict[str, Any]:
        cfg = self.config
        matches = find_dates(text, day_first=cfg.day_first)
        positioned = [(d.start, d.iso) for d in matches if d.iso] + self._custom(text)
        dates = unique([iso for _, iso in sorted(positioned)])
        times = [(d.start, d.time) for d in matches if d.time]
        out: dict[str, Any] = {"dates": dates, "date_count": len(dates)}
        if cfg.extract_times:
            times += [(t.start, t.iso) for t in find_times(text)]
            out["times"] = unique([iso for _, iso in sorted(times)])
        if cfg.extract_relative:
            relative = []
            for r in find_relative(text):
                item: dict[str, Any] = {"text": r.text.lower(), "unit": r.unit, "amount": r.amount}
                if cfg.reference_date is not None:
                    item["date"] = resolve_relative(r, cfg.reference_date)
                if item not in relative:
                    relative.append(item)
            out["relative_dates"] = relative
        return out

    def _custom(self, text: str) -> list[tuple[int, str]]:
        found = []
        for fmt, pattern in self._formats:
            for m in pattern.finditer(text):
                try:
                    parsed = datetime.strptime(" ".join(m.group(0).split()), " ".join(fmt.split()))
                    found.append((m.start(), parsed.date().isoformat()))
                except ValueError:
                    continue
        return found
