"""What the store knows about each source: last run, last success, lag, rows stored and quarantined."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from ingest.sources import SourceConfig
from metrics.time import now
from store.schema import ingest_runs, quarantine, source_states
from store.writes import current_data_version


def source_status(engine: Engine, sources: list[SourceConfig], at: datetime | None = None) -> list[dict]:
    """One dict per source. `rows_stored` is the records the store holds from it and `unassigned_tickets` its
    tickets without a commune, both kept exact by each batch (source_states, store/writes.py; issue 8), so
    reading them costs one row per source. `next_run_at` is when the scheduler is due to pull it next (its
    last run's start plus its interval: the scheduler runs in another process)."""
    at = at or now()
    with engine.connect() as conn:
        states = {r.source: r for r in conn.execute(select(source_states))}
        last_ids = select(func.max(ingest_runs.c.id)).group_by(ingest_runs.c.source).scalar_subquery()
        last_runs = {r.source: r for r in conn.execute(select(ingest_runs).where(ingest_runs.c.id.in_(last_ids)))}
        quarantined = dict(conn.execute(select(quarantine.c.source, func.count()).group_by(quarantine.c.source)).all())
    out = []
    for s in sources:
        state, run = states.get(s.name), last_runs.get(s.name)
        success = state.last_success_at if state else None
        out.append({
            "name": s.name,
            "kind": s.kind,
            "every_seconds": int(s.every.total_seconds()),
            "last_run": None if run is None else {
                "id": run.id, "status": run.status, "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "progress": run.progress, "rows_read": run.rows_read, "rows_stored": run.rows_stored,
                "rows_quarantined": run.rows_quarantined, "error": run.error},
            "last_success_at": success.isoformat() if success else None,
            "lag_seconds": round((at - success).total_seconds()) if success else None,
            # A source loading for the first time is not stale: it has no last good data to be late with.
            "stale": (at - success > s.stale_after) if success else not (run is not None and run.status == "running"),
            "rows_stored": state.records_held if state else 0,
            "rows_quarantined": int(quarantined.get(s.name, 0)),
            "last_error": state.last_error if state else None,
            "unassigned_tickets": state.unassigned_tickets if state else 0,
            "next_run_at": (run.started_at + s.every).isoformat() if run is not None else None,
        })
    return out


def quarantine_sample(engine: Engine, limit: int = 20, source: str | None = None) -> list[dict]:
    """The newest quarantined rows (source, kind, reason, raw payload as stored), newest first."""
    q = select(quarantine).order_by(quarantine.c.id.desc()).limit(limit)
    if source is not None:
        q = q.where(quarantine.c.source == source)
    with engine.connect() as conn:
        return [{"id": r.id, "source": r.source, "run_id": r.run_id, "record_kind": r.record_kind,
                 "reason": r.reason, "raw": r.raw, "quarantined_at": r.quarantined_at.isoformat()}
                for r in conn.execute(q)]


def demo_in_store(engine: Engine) -> bool:
    """True when any record came from a demo source: every screen and export must then say so."""
    with engine.connect() as conn:
        return conn.execute(select(source_states.c.source).where(source_states.c.kind == "demo").limit(1)).first() \
            is not None


def data_as_of(engine: Engine) -> tuple[datetime | None, float | None]:
    """(when the data last changed, the progress of a history load under way or None)."""
    with engine.connect() as conn:
        _, changed_at = current_data_version(conn)
        loading = conn.execute(select(ingest_runs.c.progress).where(
            ingest_runs.c.status == "running", ingest_runs.c.window_from.is_(None))
            .order_by(ingest_runs.c.id.desc()).limit(1)).scalar()
    return changed_at, loading
