"""Early warning: per commune, the open dossiers due by the end of the next working day and those overdue,
as a list the commune chair acts on.

This is the one read of record-level dossiers (a list of dossiers cannot come from a rollup); it goes
through the partial index of open dossiers by unit and due day (ix_dossiers_open_due), never a scan.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, or_, select

from access import scope as access_scope
from metrics.calendar import next_working_day, working_days_between
from metrics.rules import rule
from metrics.time import local_day
from metrics.units import commune_table
from store.schema import dossiers

COLUMNS = ["unit_code", "commune", "state", "dossier_id", "procedure_code", "procedure_name", "sector", "channel",
           "received_at", "due_at", "supplement_requests", "working_days_overdue"]


def early_warning(engine: Engine, as_of: datetime, unit_code: str | None = None) -> pd.DataFrame:
    """Open dossiers of one unit (or of every unit) that are overdue at `as_of` (past due_at, or with more
    supplement requests than the portal allows) or due by the end of the next working day. Overdue first,
    longest overdue first; then by due time."""
    scope = access_scope.current()  # a scoped reader sees its units' dossiers only
    today = local_day(as_of)
    horizon = next_working_day(today)
    d = dossiers.c
    late_by_rule = d.supplement_requests > rule("late_supplement_requests")
    query = (select(d.unit_code, d.dossier_id, d.procedure_code, d.procedure_name, d.sector, d.channel,
                    d.received_at, d.due_at, d.due_day, d.supplement_requests)
             .where(d.completed_day.is_(None), or_(d.due_day <= horizon, late_by_rule)))
    if unit_code is not None:
        query = query.where(d.unit_code == unit_code)
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(query).mappings().all(),
                            columns=["unit_code", "dossier_id", "procedure_code", "procedure_name", "sector",
                                     "channel", "received_at", "due_at", "due_day", "supplement_requests"])
    rows = rows[[scope.allows(code) for code in rows["unit_code"]]] if not scope.everything else rows
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    overdue = (rows["due_at"] < as_of) | (rows["supplement_requests"] > rule("late_supplement_requests"))
    rows["state"] = overdue.map({True: "overdue", False: "due_next_working_day"})
    rows["working_days_overdue"] = [working_days_between(day, today) if late and day < today else 0
                                    for day, late in zip(rows["due_day"], overdue)]
    names = commune_table(engine)["full_name"]
    rows["commune"] = rows["unit_code"].map(names)
    rows = rows.sort_values(["state", "working_days_overdue", "due_at"], ascending=[False, False, True])
    return rows[COLUMNS].reset_index(drop=True)


def early_warning_summary(engine: Engine, as_of: datetime) -> pd.DataFrame:
    """Per commune (all 168): how many dossiers are overdue and how many fall due by the next working day."""
    rows = early_warning(engine, as_of)
    counts = rows.groupby(["unit_code", "state"]).size().unstack(fill_value=0) if len(rows) else pd.DataFrame()
    communes = commune_table(engine)
    out = counts.reindex(index=communes.index, columns=["overdue", "due_next_working_day"], fill_value=0)
    out.insert(0, "commune", communes["full_name"])
    out.index.name = "unit_code"
    return out.sort_values(["overdue", "due_next_working_day"], ascending=False)
