"""The targets registry (metrics/data/targets.yaml) judged against the KPI frames.

For each target: the value at its deadline (met or not), the value now, a red/amber/green status by the
rule stated in the registry, the trend (slope per month) and a projection to the next deadline, both by
linear least squares on the last complete monthly values, with the method written out beside the number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import Engine

from metrics.frame import CITY, kpi_frame, unit_codes
from metrics.kpis import CATALOGUE
from metrics.periods import months_between

TARGETS_FILE = Path(__file__).with_name("data") / "targets.yaml"
DATA_START = date(2025, 7, 1)  # the two-tier local government (and the store's history) starts here
CONFIDENCE = ("official", "press", "secondary", "unverified")


@dataclass(frozen=True)
class Target:
    id: str
    title_vi: str
    title_en: str
    kpi: str | None
    comparison: str
    threshold: float | None
    window: str
    deadline: date
    scope: str
    source: str
    confidence: str
    phase: str | None = None
    review: str | None = None
    note: str = ""

    def met(self, value: float) -> bool | None:
        if self.threshold is None or value is None or pd.isna(value):
            return None
        return value >= self.threshold if self.comparison == ">=" else value <= self.threshold


@lru_cache(maxsize=1)
def registry() -> dict:
    with TARGETS_FILE.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    targets = []
    for t in data["targets"]:
        if t["confidence"] not in CONFIDENCE:
            raise ValueError(f"{t['id']}: confidence {t['confidence']!r} not one of {CONFIDENCE}")
        if t["kpi"] is not None and t["kpi"] not in CATALOGUE:
            raise ValueError(f"{t['id']}: unknown KPI {t['kpi']!r}")
        note = t.get("note") or t.get("not_measured_because") or ""
        targets.append(Target(
            id=t["id"], title_vi=t["title_vi"], title_en=t["title_en"], kpi=t["kpi"],
            comparison=t.get("comparison", ">="), threshold=t.get("threshold"), window=t.get("window", "month"),
            deadline=t["deadline"], scope=t["scope"], source=t["source"], confidence=t["confidence"],
            phase=t.get("phase"), review=t.get("review"), note=note))
    return {**data, "targets": targets, "phases": {p["id"]: p for p in data["phases"]}}


def targets() -> list[Target]:
    return registry()["targets"]


def status_rule_text() -> str:
    rule = registry()["status_rule"]
    text = (f"green: the value now meets the threshold; amber: short of it by at most "
            f"{rule['amber_within']:.0%} of the threshold")
    if rule["amber_if_projected"]:
        text += ", or projected to meet it by the next deadline"
    return text + "; red: otherwise"


def window(target: Target, day: date) -> tuple[date, date]:
    """The period a target's value is computed over when judged on `day`."""
    if target.window == "month":
        return day.replace(day=1), day
    if target.window == "phase" and target.phase:
        return registry()["phases"][target.phase]["start"], day
    if target.window.endswith("d"):
        return day - timedelta(days=int(target.window[:-1]) - 1), day
    raise ValueError(f"{target.id}: unknown window {target.window!r}")


def next_deadline(target: Target, today: date) -> date | None:
    """The deadline ahead: the target's own, or the next 31 December for a target in force after it."""
    if target.deadline > today:
        return target.deadline
    if target.review == "year_end":
        return date(today.year, 12, 31)
    return None


def project(monthly: pd.Series, to: date) -> tuple[float, float, str]:
    """(value at `to`'s month, slope per month, method) by linear least squares on monthly values.

    `monthly` is indexed by each month's first day; months with no data are left out of the fit.
    """
    points = monthly.dropna()
    if len(points) < 2:
        return np.nan, np.nan, f"not projected: {len(points)} monthly value(s), 2 needed"
    t = np.array([d.year * 12 + d.month - 1 for d in points.index], float)
    slope, intercept = np.polyfit(t, points.to_numpy(float), 1)
    value = intercept + slope * (to.year * 12 + to.month - 1)
    first, last = points.index[0], points.index[-1]
    method = (f"{registry()['trend']['method']}: {len(points)} months {first:%Y-%m}…{last:%Y-%m}, "
              f"value = {intercept:+.4g} {slope:+.4g} × month, extrapolated to {to:%Y-%m}")
    return float(value), float(slope), method


def monthly_values(engine: Engine, kpi_id: str, unit: str, until: date, months: int) -> pd.Series:
    """The KPI's value for `unit` in each of the last `months` complete calendar months before `until`."""
    last_complete = until.replace(day=1) - timedelta(days=1)
    values = {}
    for p in months_between(DATA_START, last_complete)[-months:]:
        frame = kpi_frame(engine, p.start, p.end)
        values[p.start] = frame.at[unit, kpi_id] if unit in frame.index else np.nan
    return pd.Series(values, dtype=float)


def _value(engine: Engine, target: Target, unit: str, day: date) -> float:
    start, end = window(target, day)
    frame = kpi_frame(engine, start, end)
    return float(frame.at[unit, target.kpi]) if unit in frame.index else np.nan


def band(target: Target, value: float) -> str:
    """The status band of a value against a target, stated once for the map, the wall and the targets:
    green = meets the threshold, amber = short of it by at most `amber_within` of it, red = further off;
    "no data" when there is no value (never red)."""
    if value is None or pd.isna(value):
        return "no data"
    if target.met(value):
        return "green"
    margin = registry()["status_rule"]["amber_within"] * abs(target.threshold)
    close = value >= target.threshold - margin if target.comparison == ">=" else value <= target.threshold + margin
    return "amber" if close else "red"


def commune_target(kpi_id: str) -> Target | None:
    """The judged commune-level target of a KPI (the first in the registry), or None: the map colours
    communes against it."""
    return next((t for t in targets() if t.kpi == kpi_id and t.scope == "commune" and t.threshold is not None), None)


def _status(target: Target, now: float, projected: float) -> str:
    if target.kpi is None:
        return "not measured"
    if target.threshold is None:
        return "not judged"
    status = band(target, now)
    if status == "red" and registry()["status_rule"]["amber_if_projected"] and target.met(projected):
        return "amber"
    return status


def evaluate(engine: Engine, today: date, unit: str = CITY) -> pd.DataFrame:
    """One row per target that applies to `unit` (the city: every target; a commune: commune-scope ones)."""
    months = registry()["trend"]["months"]
    rows = []
    for t in targets():
        if unit != CITY and t.scope != "commune":
            continue
        row = {"id": t.id, "title_vi": t.title_vi, "title_en": t.title_en, "kpi": t.kpi, "comparison": t.comparison,
               "threshold": t.threshold, "deadline": t.deadline, "scope": t.scope, "source": t.source,
               "confidence": t.confidence, "note": t.note, "status_rule": status_rule_text(),
               "value_at_deadline": np.nan, "met_at_deadline": None, "value_now": np.nan, "trend_per_month": np.nan,
               "next_deadline": next_deadline(t, today), "projection": np.nan, "projection_method": "",
               "communes_met_now": None}
        if t.kpi is not None:
            if t.deadline <= today:
                row["value_at_deadline"] = _value(engine, t, unit, t.deadline)
                row["met_at_deadline"] = t.met(row["value_at_deadline"])
            row["value_now"] = _value(engine, t, unit, today)
            series = monthly_values(engine, t.kpi, unit, today, months)
            if row["next_deadline"] is not None:
                row["projection"], row["trend_per_month"], row["projection_method"] = \
                    project(series, row["next_deadline"])
            else:
                row["trend_per_month"] = project(series, today)[1]
                row["projection_method"] = "not projected: no deadline ahead"
            if t.scope == "commune" and unit == CITY and t.threshold is not None:
                start, end = window(t, today)
                values = kpi_frame(engine, start, end)[t.kpi].drop(index=[CITY, ""], errors="ignore")
                communes = values.reindex(unit_codes(engine)[0])
                row["communes_met_now"] = int(sum(bool(t.met(v)) for v in communes))
        row["status"] = _status(t, row["value_now"], row["projection"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("id")
