"""Working days on the Vietnamese calendar: Monday–Friday minus public holidays (Tết included).

The `holidays` package carries the statutory holidays and the government's substituted days off;
`metrics/data/calendar_overrides.csv` adds or removes days by official yearly decisions.
"""
from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays
import numpy as np

OVERRIDES = Path(__file__).with_name("data") / "calendar_overrides.csv"


@lru_cache(maxsize=1)
def _overrides() -> tuple[frozenset[date], frozenset[date]]:
    """(extra days off, extra working days) from the overrides file."""
    off, work = set(), set()
    if OVERRIDES.exists():
        with OVERRIDES.open(encoding="utf-8") as f:
            for row in csv.DictReader(line for line in f if not line.startswith("#")):
                day = date.fromisoformat(row["date"])
                (off if row["kind"] == "day_off" else work).add(day)
    return frozenset(off), frozenset(work)


@lru_cache(maxsize=32)
def holidays_in(year: int) -> frozenset[date]:
    """Public holidays and official days off in `year` (weekends not included)."""
    off, work = _overrides()
    days = {d for d in holidays.Vietnam(years=year)}
    days |= {d for d in off if d.year == year}
    return frozenset(days - work)


def is_working_day(day: date) -> bool:
    _, work = _overrides()
    if day in work:
        return True
    return day.weekday() < 5 and day not in holidays_in(day.year)


def holiday_mask(days: np.ndarray) -> np.ndarray:
    """True where a day (numpy datetime64[D]) is a public holiday or day off."""
    years = range(int(str(days.min())[:4]), int(str(days.max())[:4]) + 1)
    hol = np.array(sorted(d for y in years for d in holidays_in(y)), dtype="datetime64[D]")
    return np.isin(days, hol)


def add_working_days(start: date, n: int) -> date:
    """The working day `n` working days after `start` (n >= 0)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    return sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


# Working days are numbered from this day on, so a duration in working days is a difference of numbers.
NUMBERING_ORIGIN = date(2000, 1, 1)


def working_days_in(start: date, end: date) -> list[date]:
    """The working days in [start, end]."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)
            if is_working_day(start + timedelta(days=i))]


def next_working_day(day: date) -> date:
    """The first working day after `day`."""
    return add_working_days(day, 1)


@lru_cache(maxsize=8)
def _numbers_to(day: date) -> int:
    """Working days in [NUMBERING_ORIGIN, day]."""
    if day < NUMBERING_ORIGIN:
        raise ValueError(f"{day} is before the working-day numbering origin {NUMBERING_ORIGIN}")
    return len(working_days_in(NUMBERING_ORIGIN, day))


def working_day_numbers(start: date, end: date) -> list[tuple[date, bool, int]]:
    """(day, is working day, working days in [NUMBERING_ORIGIN, day]) for every day in [start, end]."""
    number = _numbers_to(start - timedelta(days=1)) if start > NUMBERING_ORIGIN else 0
    rows = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        working = is_working_day(day)
        number += working
        rows.append((day, working, number))
    return rows
