"""Scheduled snapshots, configured as data (snapshots.yaml, or the file IOC_SNAPSHOTS names): which scope,
which period, when, which files, and how long they are kept. The worker registers one cron job per
schedule; each run makes the snapshots, then deletes that schedule's snapshots older than its `keep`."""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from config import ROOT, TIMEZONE
from exports import formats as known_formats
from metrics.frame import unit_codes
from metrics.periods import period_of
from metrics.time import TZ, local_day, now
from snapshots import store
from snapshots.scope import Scope, parse_scope

log = logging.getLogger(__name__)
DEFAULT_FILE = ROOT / "snapshots.yaml"
_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
_KEEP = re.compile(r"^(\d+)([dw])$")
CRON_FIELDS = ("day_of_week", "day", "month", "hour", "minute")


def _previous(grain: str, day: date) -> tuple[date, date]:
    p = period_of(grain, (day - timedelta(days=7)) if grain == "week" else day.replace(day=1) - timedelta(days=1))
    return p.start, p.end


PERIODS = {
    "previous_week": lambda day: _previous("week", day),
    "previous_month": lambda day: _previous("month", day),
    "last_7_days": lambda day: (day - timedelta(days=7), day - timedelta(days=1)),
    "last_30_days": lambda day: (day - timedelta(days=30), day - timedelta(days=1)),
}
EACH = {"communes": 0, "departments": 1}


@dataclass(frozen=True)
class Schedule:
    name: str
    scope: str
    period: str
    at: dict
    formats: tuple[str, ...]
    keep: timedelta

    def trigger(self) -> CronTrigger:
        return CronTrigger(timezone=TIMEZONE, **self.at)

    def period_for(self, day: date) -> tuple[date, date]:
        """The period a run on `day` (local date) reports on: complete days before it."""
        return PERIODS[self.period](day)

    def scopes(self, engine: Engine) -> list[Scope]:
        if self.scope in EACH:
            return [parse_scope(engine, f"{self.scope[:-1]}:{code}") for code in unit_codes(engine)[EACH[self.scope]]]
        return [parse_scope(engine, self.scope)]


def schedules_file(env: dict | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("IOC_SNAPSHOTS") or DEFAULT_FILE)


def load_schedules(path: str | Path | None = None) -> list[Schedule]:
    """The schedules of the file; a mistake is a ValueError naming the schedule and the key."""
    path = Path(path) if path else schedules_file()
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out, names = [], set()
    for i, entry in enumerate(data.get("schedules") or []):
        where = f"{path.name}: schedule {i + 1}"
        unknown = set(entry) - {"name", "scope", "period", "at", "formats", "keep"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        name = str(entry.get("name", ""))
        if not _NAME.match(name) or name in names:
            raise ValueError(f"{where}: name {name!r} must be unique, of a-z, 0-9, - and _")
        names.add(name)
        where = f"{path.name}: {name}"
        scope = str(entry.get("scope", "city"))
        if not (scope in ("city", *EACH) or re.match(r"^(commune|department):[A-Za-z0-9_.-]{1,32}$", scope)):
            raise ValueError(f"{where}: scope {scope!r}: city, communes, departments, commune:CODE or department:CODE")
        if entry.get("period") not in PERIODS:
            raise ValueError(f"{where}: period must be one of {', '.join(PERIODS)}")
        at = entry.get("at") or {}
        if not isinstance(at, dict) or not at or set(at) - set(CRON_FIELDS):
            raise ValueError(f"{where}: at takes {', '.join(CRON_FIELDS)}")
        formats = tuple(entry.get("formats") or ())
        if set(formats) - set(known_formats()):
            raise ValueError(f"{where}: formats are {', '.join(known_formats())}")
        keep = _KEEP.match(str(entry.get("keep", "")))
        if not keep or int(keep.group(1)) == 0:
            raise ValueError(f"{where}: keep is a number of days or weeks, e.g. 12w or 90d")
        days = int(keep.group(1)) * (7 if keep.group(2) == "w" else 1)
        schedule = Schedule(name, scope, entry["period"], dict(at), formats, timedelta(days=days))
        try:
            schedule.trigger()  # a bad cron value fails here, at load, not at 07:00 on Monday
        except ValueError as exc:
            raise ValueError(f"{where}: at {at}: {exc}") from None
        out.append(schedule)
    return out


def run(engine: Engine, schedule: Schedule, at: datetime | None = None) -> tuple[list[store.SnapshotInfo], int]:
    """Make the schedule's snapshots for the run at `at` (now by default), then apply its retention.
    Returns (snapshots made, snapshots deleted)."""
    at = at or now()
    start, end = schedule.period_for(local_day(at))
    if {"pdf", "png"} & set(schedule.formats):
        from exports.png import warm_up

        warm_up()
    made = [store.create(engine, scope, start, end, schedule=schedule.name, formats=schedule.formats)
            for scope in schedule.scopes(engine)]
    deleted = store.delete_before(engine, schedule.name, at - schedule.keep)
    return made, deleted


def _job(database_url: str, schedule: Schedule) -> None:
    from store.db import engine_for

    made, deleted = run(engine_for(database_url), schedule)
    log.info("snapshots %s: %d made, %d past retention deleted", schedule.name, len(made), deleted)


def register(scheduler, database_url: str, path: str | Path | None = None) -> list[Schedule]:
    """One cron job per schedule on the worker's scheduler (its timezone, coalesce and misfire rules)."""
    schedules = load_schedules(path)
    for s in schedules:
        scheduler.add_job(_job, s.trigger(), args=(database_url, s), id=f"snapshot:{s.name}", name=f"snapshot {s.name}")
    return schedules


def next_runs(schedule: Schedule, after: datetime, count: int = 3) -> list[datetime]:
    """The next fire times after `after` (what the schedule means, shown and tested without waiting)."""
    out, previous = [], None
    trigger = schedule.trigger()
    moment = after.astimezone(TZ)
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        out.append(fire)
        previous, moment = fire, fire + timedelta(seconds=1)
    return out
