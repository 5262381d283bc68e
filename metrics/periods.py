"""Reporting periods: presets the pages offer and the URL carries (`?period=...`, or `period=custom&from=&to=`),
and the windows a period is compared with (`?cmp=prev|yoy`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date


DEFAULT = "30d"
CUSTOM = "custom"


def resolve(key: str | None, today: date, start: date | None = None, end: date | None = None) -> Period:
    """A preset key → its dates (an unknown key falls back to the default, the last 30 days). `custom`
    takes `start` and `end` (clipped to today, swapped when given backwards; the default without them)."""
    if key == CUSTOM and start is not None and end is not None:
        start, end = min(start, end), max(start, end)
        return Period(CUSTOM, min(start, today), min(end, today))
    key = key if key in PRESETS else DEFAULT
    start, end = PRESETS[key](today)
    return Period(key, start, min(end, today))


def _phase(phase_id: str) -> tuple[date, date]:
    # Plan 02's phases are stated once, in the targets registry with their source; imported lazily because
    # metrics.targets itself reads this module.
    from metrics.targets import registry

    phase = registry()["phases"][phase_id]
    return phase["start"], phase["end"]


def _quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


# In the order the picker lists them; the calendar ones run from the first day of the current week
# (Monday), month, quarter or year to today.
PRESETS = {
    "7d": lambda today: (today - timedelta(days=6), today),
    "30d": lambda today: (today - timedelta(days=29), today),
    "week": lambda today: (today - timedelta(days=today.weekday()), today),
    "month": lambda today: (today.replace(day=1), today),
    "quarter": lambda today: (_quarter_start(today), today),
    "ytd": lambda today: (today.replace(month=1, day=1), today),
    "phase1": lambda today: _phase("urgent"),
    "phase2": lambda today: _phase("breakthrough"),
    "since_merger": lambda today: (date(2025, 7, 1), today),
}
# A calendar preset's previous period is the previous week, month, quarter or year to the same day
# (1–25 Nov against 1–25 Oct), not as many days just before.
_CALENDAR_MONTHS = {"month": 1, "quarter": 3, "ytd": 12}
COMPARISONS = ("prev", "yoy")


def compare(period: Period, mode: str | None) -> Period | None:
    """The window `period` is compared with: `prev` = the period before it, `yoy` = the same dates a year
    earlier (29 February → 28 February); None for no or an unknown comparison."""
    if mode == "yoy":
        return Period(f"{period.key}:yoy", _months_earlier(period.start, 12), _months_earlier(period.end, 12))
    if mode != "prev":
        return None
    if period.key in _CALENDAR_MONTHS:
        months = _CALENDAR_MONTHS[period.key]
        return Period(f"{period.key}:prev", _months_earlier(period.start, months), _months_earlier(period.end, months))
    shift = timedelta(days=7) if period.key == "week" else period.end - period.start + timedelta(days=1)
    return Period(f"{period.key}:prev", period.start - shift, period.end - shift)


def _months_earlier(day: date, months: int) -> date:
    """The same day `months` earlier, or that month's last day when it is shorter (31 May → 30 April)."""
    index = day.year * 12 + day.month - 1 - months
    first = date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, _month_end(first).day))


GRAINS = ("week", "month", "quarter", "year")


def period_of(grain: str, day: date) -> Period:
    """The calendar week (ISO, Monday–Sunday), month, quarter or year holding `day`, keyed as the portal's
    rankings name them: 2025-W47, 2025-08, 2025-Q3, 2025."""
    if grain == "week":
        start = day - timedelta(days=day.weekday())
        year, week, _ = day.isocalendar()
        return Period(f"{year}-W{week:02d}", start, start + timedelta(days=6))
    if grain == "month":
        start = day.replace(day=1)
        return Period(f"{day:%Y-%m}", start, _month_end(start))
    if grain == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first, 1)
        return Period(f"{day.year}-Q{(first - 1) // 3 + 1}", start, _month_end(date(day.year, first + 2, 1)))
    if grain == "year":
        return Period(str(day.year), date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(f"unknown grain {grain!r}; one of {', '.join(GRAINS)}")


def _month_end(first: date) -> date:
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return following - timedelta(days=1)


def months_between(start: date, end: date) -> list[Period]:
    """The calendar months from the one holding `start` to the one holding `end`."""
    out, day = [], start.replace(day=1)
    while day <= end:
        out.append(period_of("month", day))
        day = out[-1].end + timedelta(days=1)
    return out
