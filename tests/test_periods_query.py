"""Period presets and their comparison windows; the URL's query round trip; the locale's number and date formats."""
from __future__ import annotations

from datetime import date

import pytest

from callbacks.context import DRILL_PATH, PageQuery
from layouts.components import delta_text
from layouts.i18n import MESSAGES, day, number, percent
from metrics.periods import PRESETS, Period, compare, resolve

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize("key, start, end", [
    ("7d", date(2026, 11, 19), TODAY), ("30d", date(2026, 10, 27), TODAY),
    ("week", date(2026, 11, 23), TODAY), ("month", date(2026, 11, 1), TODAY),
    ("quarter", date(2026, 10, 1), TODAY), ("ytd", date(2026, 1, 1), TODAY),
    ("phase1", date(2025, 6, 19), date(2025, 6, 30)), ("phase2", date(2025, 7, 1), date(2025, 12, 31)),
    ("since_merger", date(2025, 7, 1), TODAY),
])
def test_presets(key, start, end):
    assert resolve(key, TODAY) == Period(key, start, end)


def test_a_phase_still_running_ends_today_and_unknown_keys_fall_back():
    assert resolve("phase2", date(2025, 9, 10)).end == date(2025, 9, 10)
    assert resolve("nonsense", TODAY).key == "30d"
    assert resolve("custom", TODAY) == resolve("30d", TODAY)  # custom without dates
    assert resolve("custom", TODAY, date(2026, 11, 10), date(2026, 11, 1)) == \
        Period("custom", date(2026, 11, 1), date(2026, 11, 10))  # given backwards
    assert resolve("custom", TODAY, date(2026, 11, 1), date(2027, 1, 1)).end == TODAY
    assert all(k in MESSAGES for k in PRESETS)


@pytest.mark.parametrize("key, prev, yoy", [
    ("7d", (date(2026, 11, 12), date(2026, 11, 18)), (date(2025, 11, 19), date(2025, 11, 25))),
    ("week", (date(2026, 11, 16), date(2026, 11, 18)), (date(2025, 11, 23), date(2025, 11, 25))),
    ("month", (date(2026, 10, 1), date(2026, 10, 25)), (date(2025, 11, 1), date(2025, 11, 25))),
    ("quarter", (date(2026, 7, 1), date(2026, 8, 25)), (date(2025, 10, 1), date(2025, 11, 25))),
    ("ytd", (date(2025, 1, 1), date(2025, 11, 25)), (date(2025, 1, 1), date(2025, 11, 25))),
    ("phase2", (date(2024, 12, 29), date(2025, 6, 30)), (date(2024, 7, 1), date(2024, 12, 31))),
])
def test_comparison_windows(key, prev, yoy):
    period = resolve(key, TODAY)
    assert (compare(period, "prev").start, compare(period, "prev").end) == prev
    assert (compare(period, "yoy").start, compare(period, "yoy").end) == yoy
    assert compare(period, None) is None and compare(period, "bogus") is None


def test_comparison_at_month_ends_and_leap_days():
    may31 = resolve("month", date(2026, 5, 31))
    assert compare(may31, "prev") == Period("month:prev", date(2026, 4, 1), date(2026, 4, 30))
    leap = Period("custom", date(2028, 2, 1), date(2028, 2, 29))
    assert compare(leap, "yoy") == Period("custom:yoy", date(2027, 2, 1), date(2027, 2, 28))
    assert compare(leap, "prev") == Period("custom:prev", date(2028, 1, 3), date(2028, 1, 31))


def test_the_query_round_trips_and_defaults_stay_out():
    search = "?lang=en&period=quarter&kpi=online_share&cmp=yoy&sector=ho-tich&sort=value&desc=1&grain=week"
    query = PageQuery.parse(search)
    assert (query.lang, query.period.key, query.kpi, query.cmp, query.sector, query.sort, query.desc, query.grain) == \
        ("en", "quarter", "online_share", "yoy", "ho-tich", "value", True, "week")
    assert query.search() == search
    assert PageQuery.parse(query.search()) == query
    assert PageQuery.parse("").search() == ""
    assert PageQuery.parse("?lang=vi&period=30d&cmp=none&desc=0&grain=decade").search() == ""
    assert query.search(sector=None, desc=False, kpi=None, grain=None) == "?lang=en&period=quarter&cmp=yoy&sort=value"
    assert query.comparison == compare(query.period, "yoy")


def test_a_custom_range_lives_in_the_url():
    query = PageQuery.parse("?period=custom&from=2025-08-01&to=2025-08-31")
    assert (query.period.start, query.period.end) == (date(2025, 8, 1), date(2025, 8, 31))
    assert query.search() == "?period=custom&from=2025-08-01&to=2025-08-31"
    assert PageQuery.parse(query.search()) == query
    assert query.search(period="month") == "?period=month"  # a preset drops the dates
    assert PageQuery.parse("?period=custom&from=garbage&to=2025-08-31").period.key == "30d"


def test_drill_paths():
    assert DRILL_PATH.match("/commune/26506").groupdict() == {"code": "26506", "sector": None, "procedure": None}
    assert DRILL_PATH.match("/commune/26506/sector/ho-tich/").group("sector") == "ho-tich"
    assert DRILL_PATH.match("/commune/26506/sector/ho-tich/procedure/2.001").group("procedure") == "2.001"
    assert DRILL_PATH.match("/commune/26506/procedure/2.001") is None


def test_vietnamese_and_english_formats():
    assert number(1234.5, "vi", 1) == "1.234,5" and number(1234.5, "en", 1) == "1,234.5"
    assert number(1234567, "vi") == "1.234.567"
    assert percent(95.5, "vi") == "95,5 %" and percent(95.5, "en") == "95.5 %"
    assert number(None, "vi") == "–" and number(float("nan"), "en") == "–"
    assert day(date(2026, 3, 7), "vi") == "07/03/2026"


def test_a_change_is_said_in_words_and_by_arrow_not_colour():
    assert delta_text("on_time_rate", 90.0, 85.5, "vi") == "▲ +4,5 điểm % · tốt hơn"
    assert delta_text("dossiers_open", 120, 100, "en") == "▲ +20 · worse"  # fewer open dossiers is better
    assert delta_text("on_time_rate", 80.0, None, "vi") is None
    assert delta_text("dossiers_received", 5, 5, "en") == "= unchanged"
    assert delta_text("on_time_rate", 98.91, 98.94, "vi") == "= không đổi"  # −0,03: not shown as −0,0


def test_choosing_custom_from_a_preset_keeps_the_days_being_viewed():
    """The date range control starts on the period being viewed: «Tùy chọn» chosen under «7 ngày qua» writes
    those seven days as from/to, and changing one day keeps the other."""
    query = PageQuery.parse("?period=7d&lang=en")
    week = query.period
    assert query.search(period="custom") == f"?lang=en&period=custom&from={week.start}&to={week.end}"
    assert PageQuery.parse(query.search(period="custom")).period == Period("custom", week.start, week.end)
    custom = PageQuery.parse("?period=custom&from=2025-08-01&to=2025-08-31")
    assert custom.search(period="custom", start="2025-08-10") == "?period=custom&from=2025-08-10&to=2025-08-31"
