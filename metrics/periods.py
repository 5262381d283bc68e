"""Reporting periods: presets the pages offer and the URL carries (`?period=...`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date


PHASE_BREAKTHROUGH = (date(2025, 7, 1), date(2025, 12, 31))  # Plan 02-KH/BCĐTW, "đột phá"
DEFAULT = "30d"


def resolve(key: str | None, today: date) -> Period:
    """A preset key → its dates (an unknown key falls back to the default, the last 30 days)."""
    key = key if key in PRESETS else DEFAULT
    start, end = PRESETS[key](today)
    return Period(key, start, min(end, today))


PRESETS = {
    "7d": lambda today: (today - timedelta(days=6), today),
    "30d": lambda today: (today - timedelta(days=29), today),
    "month": lambda today: (today.replace(day=1), today),
    "ytd": lambda today: (today.replace(month=1, day=1), today),
    "phase2": lambda today: PHASE_BREAKTHROUGH,
    "since_merger": lambda today: (date(2025, 7, 1), today),
}


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
