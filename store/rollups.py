"""Daily rollups, recomputed only for the days a batch touched (what metrics/ reads; never raw records)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, bindparam, text

from store.schema import dossier_daily, ticket_daily

DAYS_PER_STATEMENT = 60

# On time by the portal's rule (KPIS.md §3): ended by the appointment time; more than one supplement
# request counts as late. Early: ended on a day before the appointment day.
_DOSSIER_SQL = text("""
INSERT INTO dossier_daily (unit_code, day, sector, received, received_online, received_full_online,
                           completed, completed_early, completed_on_time, completed_late)
SELECT unit_code, day, sector, SUM(received), SUM(received_online), SUM(received_full_online),
       SUM(completed), SUM(completed_early), SUM(completed_on_time), SUM(completed_late)
FROM (
    SELECT unit_code, received_day AS day, sector, 1 AS received,
           CASE WHEN channel = 'online' THEN 1 ELSE 0 END AS received_online,
           CASE WHEN full_process_online THEN 1 ELSE 0 END AS received_full_online,
           0 AS completed, 0 AS completed_early, 0 AS completed_on_time, 0 AS completed_late
    FROM dossiers WHERE received_day IN :days
    UNION ALL
    SELECT unit_code, completed_day AS day, sector, 0, 0, 0, 1,
           CASE WHEN completed_at <= due_at AND supplement_requests <= 1 AND completed_day < due_day THEN 1 ELSE 0 END,
           CASE WHEN completed_at <= due_at AND supplement_requests <= 1 AND completed_day >= due_day THEN 1 ELSE 0 END,
           CASE WHEN completed_at > due_at OR supplement_requests > 1 THEN 1 ELSE 0 END
    FROM dossiers WHERE completed_day IN :days
) AS events
GROUP BY unit_code, day, sector
""").bindparams(bindparam("days", expanding=True))

_TICKET_SQL = text("""
INSERT INTO ticket_daily (unit_code, day, category, received, closed, closed_on_time, reopened)
SELECT unit_code, day, category, SUM(received), SUM(closed), SUM(closed_on_time), SUM(reopened)
FROM (
    SELECT COALESCE(unit_code, '') AS unit_code, received_day AS day, category, 1 AS received, 0 AS closed,
           0 AS closed_on_time, CASE WHEN reopened THEN 1 ELSE 0 END AS reopened
    FROM tickets WHERE received_day IN :days
    UNION ALL
    SELECT COALESCE(unit_code, ''), closed_day, category, 0, 1,
           CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END, 0
    FROM tickets WHERE closed_day IN :days
) AS events
GROUP BY unit_code, day, category
""").bindparams(bindparam("days", expanding=True))


def refresh(conn: Connection, dossier_days: set[date], ticket_days: set[date]) -> None:
    """Recompute the rollup rows of these days from the records, in the caller's transaction."""
    for table, sql, days in ((dossier_daily, _DOSSIER_SQL, dossier_days), (ticket_daily, _TICKET_SQL, ticket_days)):
        ordered = sorted(days)
        for i in range(0, len(ordered), DAYS_PER_STATEMENT):
            chunk = ordered[i:i + DAYS_PER_STATEMENT]
            conn.execute(table.delete().where(table.c.day.in_(chunk)))
            conn.execute(sql, {"days": chunk})
