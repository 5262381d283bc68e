"""Hand-made records for tests, and a connector kind that delivers them as an upstream system would."""
from __future__ import annotations

from datetime import timedelta

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
