"""Decision 766/QĐ-TTg scoring for every commune, department and the city, by week, month, quarter or year.

Weights, thresholds and bands come from metrics/data/score766.yaml (versioned, with sources). An
indicator the feeds cannot measure, or one whose rate has no data for a unit, is "not measured": it scores
neither 0 nor full, and the total says how many of the 100 points were measurable. The band and the rank
use the measured points scaled to 100, always shown next to that count.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import Engine

from metrics.frame import CITY, kpi_frame, unit_codes
from metrics.kpis import CATALOGUE
from metrics.periods import Period, period_of

WEIGHTS_FILE = Path(__file__).with_name("data") / "score766.yaml"
NOT_MEASURED = "not measured"


@lru_cache(maxsize=1)
def weights() -> dict:
    with WEIGHTS_FILE.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    groups = {g["code"]: g for g in data["groups"]}
    if sum(g["max"] for g in groups.values()) != 100:
        raise ValueError("Decision 766 group maxima must add up to 100")
    for code, group in groups.items():
        points = sum(i["points"] for i in data["indicators"] if i["group"] == code)
        if points != group["max"]:
            raise ValueError(f"group {code}: indicator points {points} != group max {group['max']}")
    for i in data["indicators"]:
        if i["kpi"] is not None and CATALOGUE[i["kpi"]].unit != "percent":
            raise ValueError(f"indicator {i['id']}: KPI {i['kpi']} is not a rate")
    return {**data, "groups": groups}


def indicator_points(rate: pd.Series, max_points: float, threshold: float | None) -> pd.Series:
    """Points for a rate in percent: max × min(1, rate / threshold), or max × rate without a threshold."""
    rate = rate.clip(lower=0, upper=100)
    if threshold:
        return max_points * np.minimum(1.0, rate / threshold)
    return max_points * rate / 100.0


def band(score_100: float) -> str | None:
    if pd.isna(score_100):
        return None
    return next(b["name_en"] for b in weights()["bands"] if score_100 >= b["min"])


def score(kpis: pd.DataFrame) -> pd.DataFrame:
    """Decision 766 points per unit (rows of a KPI frame). Columns: '<indicator>_rate' and '<indicator>_points'
    (NaN = not measured), '<group>_points' and '<group>_measurable', 'total', 'measurable_points',
    'score_100' (total / measurable × 100) and 'band'."""
    w = weights()
    out = pd.DataFrame(index=kpis.index)
    measurable = pd.DataFrame(index=kpis.index)
    for ind in w["indicators"]:
        key = ind["id"]
        if ind["kpi"] is None:
            out[f"{key}_rate"] = np.nan
            out[f"{key}_points"] = np.nan
        else:
            out[f"{key}_rate"] = kpis[ind["kpi"]]
            out[f"{key}_points"] = indicator_points(kpis[ind["kpi"]], ind["points"], ind["threshold"])
        measurable[key] = np.where(out[f"{key}_points"].notna(), ind["points"], 0.0)
    for code in w["groups"]:
        keys = [i["id"] for i in w["indicators"] if i["group"] == code]
        out[f"{code}_points"] = out[[f"{k}_points" for k in keys]].sum(axis=1, min_count=1)
        out[f"{code}_measurable"] = measurable[keys].sum(axis=1)
    out["total"] = out[[f"{c}_points" for c in w["groups"]]].sum(axis=1, min_count=1)
    out["measurable_points"] = measurable.sum(axis=1)
    out["score_100"] = out["total"] / out["measurable_points"].where(out["measurable_points"] > 0) * 100
    out["band"] = out["score_100"].map(band)
    return out


def score_period(engine: Engine, grain: str, day: date) -> tuple[Period, pd.DataFrame]:
    """The period of `grain` holding `day`, and the scores of the communes, departments and the city, with
    each commune's rank among the communes and each department's among the departments (1 = best)."""
    period = period_of(grain, day)
    communes, departments = unit_codes(engine)
    kpis = kpi_frame(engine, period.start, period.end)
    units = kpis.reindex(communes + departments + [CITY])
    scored = score(units)
    scored.insert(0, "level", ["commune"] * len(communes) + ["department"] * len(departments) + ["city"])
    scored["rank"] = pd.Series(dtype="Int64")
    for level in ("commune", "department"):
        rows = scored["level"] == level
        scored.loc[rows, "rank"] = scored.loc[rows, "score_100"].rank(ascending=False, method="min").astype("Int64")
    return period, scored


def indicators_table() -> pd.DataFrame:
    """The indicators with their group, points, KPI, threshold and confidence (for docs and pages)."""
    w = weights()
    return pd.DataFrame([{"indicator": i["id"], "group": i["group"], "name": i["name_en"], "points": i["points"],
                          "kpi": i["kpi"] or NOT_MEASURED, "threshold": i["threshold"],
                          "confidence": i["confidence"],
                          "note": i.get("not_measured_because") or i.get("note") or ""} for i in w["indicators"]])
