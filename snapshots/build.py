"""Freeze what the KPI layer says about a scope and a period into one JSON-ready document (the payload).

Every number here is read from metrics/ (kpi_frame, targets.evaluate, score766.score) and written as it is:
nothing is recomputed. The exports render only from this document, so a file rendered today and one
rendered from the same snapshot next week show the same numbers.
"""
from __future__ import annotations

import hashlib
import math
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from metrics import score766, targets
from metrics.frame import commune_series, data_version, kpi_frame, unit_codes
from metrics.kpis import CATALOGUE
from metrics.units import commune_table, department_table
from snapshots.scope import Scope
from store.schema import source_states
from store.status import data_as_of, demo_in_store

PAYLOAD_VERSION = 1
MAP_KPI = "on_time_rate"


def targets_version() -> str:
    """A hash of the targets registry and the Decision 766 weights: what the judgements were made against."""
    digest = hashlib.sha256()
    for path in (targets.TARGETS_FILE, score766.WEIGHTS_FILE):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def plain(value):
    """A JSON-ready value: no data (NaN, NA, None) is None, never 0; numpy scalars as Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def kpi_rows(row: pd.Series) -> list[dict]:
    return [{"id": k.id, "name_vi": k.name_vi, "name_en": k.name_en, "unit": k.unit, "better": k.better,
             "basis": k.basis, "value": plain(row.get(k.id)), "definition_vi": k.definition_vi,
             "definition_en": k.definition_en, "source": k.source} for k in CATALOGUE.values()]


def _units(engine: Engine, frame: pd.DataFrame) -> list[dict]:
    """Every commune and department with every KPI (the city report's per-unit sheet)."""
    communes, departments = commune_table(engine), department_table(engine)
    out = []
    for level, table, name in (("commune", communes, "full_name"), ("department", departments, "name")):
        for code in table.index:
            row = frame.loc[code] if code in frame.index else pd.Series(dtype=float)
            out.append({"code": code, "name": table.at[code, name], "level": level,
                        "kpis": {k: plain(row.get(k)) for k in CATALOGUE}})
    return out


def _targets(engine: Engine, scope: Scope, end: date) -> list[dict]:
    judged = targets.evaluate(engine, end, scope.unit)
    keep = ("title_vi", "title_en", "kpi", "comparison", "threshold", "deadline", "scope", "source", "confidence",
            "note", "value_at_deadline", "met_at_deadline", "value_now", "trend_per_month", "next_deadline",
            "projection", "projection_method", "communes_met_now", "status")
    return [{"id": tid, **{k: plain(r[k]) for k in keep}} for tid, r in judged.iterrows()]


def _score766(frame: pd.DataFrame, unit: str) -> dict:
    w = score766.weights()
    row = score766.score(frame.loc[[unit]]).iloc[0]
    return {
        "version": w["version"], "source": w["source"], "rule": w["rule"],
        "total": plain(row["total"]), "measurable_points": plain(row["measurable_points"]),
        "score_100": plain(row["score_100"]), "band": plain(row["band"]),
        "groups": [{"code": code, "name_vi": g["name_vi"], "name_en": g["name_en"], "max": g["max"],
                    "points": plain(row[f"{code}_points"]), "measurable": plain(row[f"{code}_measurable"])}
                   for code, g in w["groups"].items()],
        "indicators": [{"id": i["id"], "group": i["group"], "name_en": i["name_en"], "max": i["points"],
                        "kpi": i["kpi"], "threshold": i["threshold"], "confidence": i["confidence"],
                        "rate": plain(row[f"{i['id']}_rate"]), "points": plain(row[f"{i['id']}_points"]),
                        "note": i.get("not_measured_because") or i.get("note") or ""} for i in w["indicators"]],
    }


def _sources(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(source_states.c.source, source_states.c.kind, source_states.c.last_success_at)
                            .order_by(source_states.c.source)).all()
    return [{"name": r.source, "kind": r.kind, "last_success_at": plain(r.last_success_at)} for r in rows]


def _series(engine: Engine, scope: Scope, start: date, end: date) -> dict:
    """A commune's drill-down series as its page draws them (dossiers by day, tickets by category, documents)."""
    if scope.kind != "commune":
        return {}
    return {name: [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
            for name, frame in commune_series(engine, scope.code, start, end).items()}


def freeze(engine: Engine, scope: Scope, start: date, end: date, map_kpi: str = MAP_KPI) -> dict:
    """The payload of a snapshot (without its id, creation time and author: store.create adds them)."""
    map_kpi = map_kpi if map_kpi in CATALOGUE else MAP_KPI
    version = data_version(engine)
    frame = kpi_frame(engine, start, end)
    row = frame.loc[scope.unit] if scope.unit in frame.index else pd.Series(dtype=float)
    communes = unit_codes(engine)[0]
    changed_at, _ = data_as_of(engine)
    registry = targets.registry()
    return {
        "payload_version": PAYLOAD_VERSION,
        "scope": {"kind": scope.kind, "code": scope.code, "key": scope.key, "name_vi": scope.name_vi,
                  "name_en": scope.name_en},
        "from": start.isoformat(), "to": end.isoformat(),
        "data_version": version, "data_as_of": plain(changed_at),
        "targets_version": targets_version(),
        "targets_registry": {"version": str(registry["version"]), "status_rule": targets.status_rule_text()},
        "demo": demo_in_store(engine),
        "kpis": kpi_rows(row),
        "map": {"kpi": map_kpi, "values": {c: plain(frame.at[c, map_kpi]) if c in frame.index else None
                                           for c in communes}},
        "units": _units(engine, frame) if scope.kind == "city" else [],
        "series": _series(engine, scope, start, end),
        "targets": _targets(engine, scope, end),
        "score766": _score766(frame.reindex([scope.unit]), scope.unit),
        "sources": _sources(engine),
    }
