"""Hand-made records for tests, and a connector kind that delivers them as an upstream system would."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from ingest.connectors.base import Batch, Connector, register
from ingest.contracts import RecordKind
from ingest.sources import SourceConfig
from tests.conftest import at


@register
class GivenRowsConnector(Connector):
    """Delivers `options['batches']` ([(kind, rows), ...]) whatever the window: an upstream stand-in."""

    kind = "given_rows"

    def pull(self, since, until):
        batches = self.source.options["batches"]
        for i, (kind, rows) in enumerate(batches):
            yield Batch(RecordKind(kind), [dict(r) for r in rows], (i + 1) / len(batches))


def given(batches, name: str = "upstream") -> SourceConfig:
    return SourceConfig(name=name, kind="given_rows", every=timedelta(minutes=5), stale_after=timedelta(minutes=15),
                        options={"batches": batches})


def dossier(dossier_id: str, unit: str = "26506", received: str = "2025-07-01 08:00", due: str = "2025-07-03 17:00",
            completed: str | None = None, status: str = "received", updated: str | None = None, **extra) -> dict:
    row = {"dossier_id": dossier_id, "unit_code": unit, "procedure_code": "1.001", "procedure_name": "Chứng thực bản sao",
           "sector": "Chứng thực", "channel": "online", "full_process_online": True, "received_at": at(received),
           "due_at": at(due), "completed_at": at(completed) if completed else None, "status": status,
           "updated_at": at(updated or completed or received)}
    row.update(extra)
    return row


def ticket(ticket_id: str, unit: str = "26506", received: str = "2025-07-01 09:00", due: str = "2025-07-22 17:00",
           closed: str | None = None, **extra) -> dict:
    row = {"ticket_id": ticket_id, "channel": "phone", "category": "Hành chính công", "unit_code": unit,
           "received_at": at(received), "due_at": at(due), "closed_at": at(closed) if closed else None,
           "status": "closed" if closed else "open", "updated_at": at(closed or received)}
    row.update(extra)
    return row


def later(row: dict, **changes) -> dict:
    """A newer version of a record (its update time moves on by an hour unless given)."""
    new = {**row, **changes}
    new.setdefault("updated_at", row["updated_at"] + timedelta(hours=1))
    if "updated_at" not in changes:
        new["updated_at"] = row["updated_at"] + timedelta(hours=1)
    return new


def assert_held_exact(engine) -> dict:
    """The records held and tickets without a commune that source_states keeps per source (issue 8) equal
    exact counts of the stored records, and every record is held by a source; returns {source: (held, unassigned)}."""
    counted = " + ".join(f"(SELECT count(*) FROM {t} WHERE {t}.source = s.source)"
                         for t in ("dossiers", "tickets", "document_counts"))
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT source, records_held, unassigned_tickets, {counted}, (SELECT count(*) FROM tickets "
            "WHERE tickets.source = s.source AND unit_code IS NULL) FROM source_states s ORDER BY source")).all()
        everything = conn.execute(text("SELECT (SELECT count(*) FROM dossiers) + (SELECT count(*) FROM tickets) "
                                       "+ (SELECT count(*) FROM document_counts)")).scalar_one()
    assert [(r[0], r[1], r[2]) for r in rows] == [(r[0], r[3], r[4]) for r in rows]
    assert sum(r[1] for r in rows) == everything
    return {r[0]: (r[1], r[2]) for r in rows}
