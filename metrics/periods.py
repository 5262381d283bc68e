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
