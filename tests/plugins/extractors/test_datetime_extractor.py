"""DateTimeExtractor: dates, times and relative dates, normalised to ISO."""

from __future__ import annotations

import pytest

from llamafarm_core.errors import PluginError
from llamafarm_core.testing.extractors import ExtractorContract


class TestDateTimeContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("DateTimeExtractor")

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [fda_text, aero_text, "The meeting moved from 2024-01-15 to next week, 14:30."]

    @pytest.fixture
    def expected_keys(self):
        return {"dates", "date_count", "times", "relative_dates"}


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Signed on March 5, 2024.", "2024-03-05"),
        ("Signed on Mar. 5th 2024.", "2024-03-05"),
        ("Signed on 5 March 2024.", "2024-03-05"),
        ("Signed on the 5th of March, 2024.", "2024-03-05"),
        ("Signed on 2024-03-05.", "2024-03-05"),
        ("Signed on 2024/03/05.", "2024-03-05"),
        ("Signed on 03/05/2024.", "2024-03-05"),
        ("Signed on 3-5-24.", "2024-03-05"),
        ("Signed on 05.03.2024.", "2024-03-05"),
        ("Signed on 31/12/1999.", "1999-12-31"),
        ("Published in March 2024.", "2024-03"),
    ],
)
def test_date_formats(one, text, iso):
    assert one("datetime", text)["dates"] == [iso]


def test_day_first_option(one):
    assert one("datetime", "Due 03/05/2024.", day_first=True)["dates"] == ["2024-05-03"]


def test_impossible_and_yearless_dates_are_skipped(one):
    meta = one("datetime", "Not 2024-02-30, not 13/13/2024, and March 5 has no year.")
    assert meta["dates"] == []
    assert meta["date_count"] == 0


def test_unique_in_order_with_count(one):
    meta = one("datetime", "From 2024-03-05 to April 1, 2024, then back to March 5, 2024.")
    assert meta["dates"] == ["2024-03-05", "2024-04-01"]
    assert meta["date_count"] == 2


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("At 14:30 sharp.", ["14:30"]),
        ("At 2:30 pm.", ["14:30"]),
        ("At 2:30 p.m. and 9 a.m.", ["14:30", "09:00"]),
        ("At 12 am and 12:15 PM.", ["00:00", "12:15"]),
        ("At 07:05:09.", ["07:05:09"]),
        ("By noon.", ["12:00"]),
        ("Logged 2024-03-05T09:15:00Z.", ["09:15:00"]),
        ("Ratio 3:1 and score 25:99 are not times.", []),
    ],
)
def test_times(one, text, times):
    assert one("datetime", text)["times"] == times


def test_relative_dates(one):
    meta = one(
        "datetime", "Yesterday we met; next week we ship; 3 days ago it broke; in two months we review."
    )
    assert meta["relative_dates"] == [
        {"text": "yesterday", "unit": "day", "amount": -1},
        {"text": "next week", "unit": "week", "amount": 1},
        {"text": "3 days ago", "unit": "day", "amount": -3},
        {"text": "in two months", "unit": "month", "amount": 2},
    ]


def test_relative_dates_resolve_against_reference_date(one):
    meta = one(
        "datetime",
        "Yesterday, next week, 3 days ago, last friday, next monday, in one month, the day after tomorrow.",
        reference_date="2024-01-31",  # a Wednesday
    )
    assert [r["date"] for r in meta["relative_dates"]] == [
        "2024-01-30", "2024-02-07", "2024-01-28", "2024-01-26", "2024-02-05", "2024-02-29", "2024-02-02",
    ]  # fmt: skip


def test_options_switch_parts_off(one):
    meta = one("datetime", "Tomorrow at 10:00 on 2024-03-05.", extract_times=False, extract_relative=False)
    assert meta["dates"] == ["2024-03-05"]
    assert "times" not in meta and "relative_dates" not in meta


def test_custom_date_formats(one):
    meta = one("datetime", "Filed 2024.075 and 05-Mar-2024.", date_formats=["%Y.%j", "%d-%b-%Y"])
    assert meta["dates"] == ["2024-03-15", "2024-03-05"]


def test_bad_custom_format_is_a_config_error(build):
    with pytest.raises(PluginError, match=r"config\.date_formats.*%Q"):
        build("datetime", date_formats=["%Y-%Q"])


def test_original_keys_accepted(build):
    build("DateTimeExtractor", fuzzy_parsing=True, default_timezone="UTC")
