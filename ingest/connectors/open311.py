"""`open311`: hotline 1022 tickets over Open311 GeoReport v2, `GET {url}/requests.json`.

The spec filters by the request's receipt time (start_date/end_date at most 90 days apart) and
answers at most 1,000 requests by default. So a pull walks (since − lookback, until] in windows of at
most `window_days`; a window that comes back full may have been cut off, so it is split in two and
asked again, down to one second. Open311 cannot ask "changed since", so an incremental pull re-reads
the requests received within `lookback` before the watermark to see their status changes; a version
already held is not written again (the upsert compares update times).

A request without a ward code of the 1022 extensions is placed in a commune by its lat/long
(`geo.locate`); a point outside the city stays unassigned (unit_code empty), counted on the sources
page. Caller fields (first_name, last_name, email, phone, description, address) are never mapped.

    - name: hotline
      kind: open311
      every: 5m
      url: https://1022.example/open311/v2
      jurisdiction_id: hochiminhcity.gov.vn   # optional
      api_key_env: HOTLINE_KEY                 # optional: sent as api_key
      window_days: 90
      max_records: 1000
      lookback: 30d
      status_map: {acknowledged: in_progress}
      default_channel: phone
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Iterator

from ingest.connectors.base import Batch, Connector, register
from ingest.connectors.mapping import first_moment, project, seconds_option, zone
from ingest.contracts import RecordKind
from ingest.http import HttpSource, SourceError, secret
from metrics.time import TZ

# Open311 names (and the 1022 extensions) for the Ticket contract's fields.
OPEN311_FIELDS = {
    "ticket_id": "service_request_id",
    "category": "service_name",
    "handling_unit": "agency_responsible",
    "received_at": "requested_datetime",
    "due_at": "expected_datetime",
    "updated_at": "updated_datetime",
    "closed_at": "closed_datetime",
    "status": "status",
    "lat": "lat",
    "long": "long",
    "unit_code": "unit_code",
    "channel": "channel",
    "reopened": "reopened",
    "rating": "rating",
}
STATUSES = {"open": "open", "closed": "closed", "acknowledged": "in_progress", "in_progress": "in_progress",
            "in progress": "in_progress", "assigned": "in_progress", "resolved": "closed"}
DEFAULT_DUE_WORKING_DAYS = 15  # Decree 20/2008 / the 1022 rule when a request carries no expected time


def _default_due(received: datetime) -> datetime:
    from metrics.calendar import add_working_days

    day = add_working_days(received.astimezone(TZ).date(), DEFAULT_DUE_WORKING_DAYS)
    return datetime.combine(day, time(23, 59, 59), TZ)


def _number(value) -> float:
    try:
        return float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def requests_to_rows(records: list, fields: dict[str, str], statuses: dict[str, str], default_channel: str | None,
                     tz, origin: str) -> list[dict]:
    """Open311 service requests as Ticket-shaped rows, placed in communes by lat/long where needed."""
    rows = []
    for record in records:
        if not isinstance(record, dict):
            rows.append(project(record, RecordKind.ticket, origin=origin))
            continue
        row = {f: record[k] for f, k in fields.items() if k in record}
        detail = record.get("status_detail")  # the 1022 extension's finer status, where given
        status = detail if isinstance(detail, str) and detail.strip().lower() in statuses else row.get("status")
        if isinstance(status, str):
            row["status"] = statuses.get(status.strip().lower(), status)
        if row.get("status") == "closed" and not row.get("closed_at"):
            row["closed_at"] = row.get("updated_at")
        if not row.get("updated_at"):
            row["updated_at"] = row.get("received_at")
        if not row.get("channel") and default_channel:
            row["channel"] = default_channel
        rows.append(project(row, RecordKind.ticket, tz=tz, origin=origin))
    return place_tickets(rows)


def place_tickets(rows: list[dict]) -> list[dict]:
    """Tickets without a ward code placed in a commune by lat/long (outside the city: left unassigned),
    and given the default deadline when the source gives none."""
    from geo.locate import communes_at

    need = [r for r in rows if not r.get("unit_code") and "lat" in r and "long" in r]
    if need:
        for row, code in zip(need, communes_at([_number(r["lat"]) for r in need], [_number(r["long"]) for r in need])):
            if code is not None:
                row["unit_code"] = code
    for row in rows:
        received = row.get("received_at")
        # Beyond the calendar's years a default deadline means nothing: the contract then names due_at missing.
        if "due_at" not in row and isinstance(received, datetime) and received.tzinfo and 2000 <= received.year <= 2100:
            row["due_at"] = _default_due(received)
    return rows


@register
class Open311Connector(Connector):
    kind = "open311"

    def __init__(self, source):
        super().__init__(source)
        o = source.options
        if not o.get("url"):
            raise ValueError(f"source {source.name!r}: `url` is required")
        self.url = str(o["url"]).rstrip("/") + "/requests.json"
        self.fields = {**OPEN311_FIELDS, **{str(k): str(v) for k, v in (o.get("fields") or {}).items()}}
        unknown = set(self.fields) - set(OPEN311_FIELDS)
        if unknown:
            raise ValueError(f"source {source.name!r}: `fields` names no ticket field {sorted(unknown)}")
        self.statuses = {**STATUSES, **{str(k).lower(): str(v) for k, v in (o.get("status_map") or {}).items()}}
        self.window = timedelta(days=min(float(o.get("window_days", 90)), 90))
        self.max_records = int(o.get("max_records", 1000))
        self.lookback = timedelta(seconds=seconds_option(o, "lookback", "30d"))
        self.default_channel = o.get("default_channel", "phone")
        self.tz = zone(o.get("timezone"))

    def _query(self, start: datetime, end: datetime) -> dict:
        o = self.source.options
        query = {"start_date": start.astimezone(TZ).isoformat(), "end_date": end.astimezone(TZ).isoformat(),
                 "status": "open,closed"}
        if o.get("jurisdiction_id"):
            query["jurisdiction_id"] = o["jurisdiction_id"]
        if o.get("api_key_env"):
            query["api_key"] = secret(o, "api_key_env", self.source.name)
        return query

    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        first = first_moment(self.source.options) if since is None else since - self.lookback
        total = max((until - first).total_seconds(), 1.0)
        windows, a = [], first
        while a < until:
            windows.append((a, min(a + self.window, until)))
            a = windows[-1][1]
        windows.reverse()  # a stack: the oldest window on top
        http = HttpSource(self.source.name, self.source.options)
        try:
            while windows:
                start, end = windows.pop()
                payload = http.get_json(self.url, self._query(start, end))
                if isinstance(payload, dict) and isinstance(payload.get("service_requests"), list):
                    payload = payload["service_requests"]
                if not isinstance(payload, list):
                    raise SourceError(f"GET {self.url}: expected a list of service requests, got "
                                      f"{type(payload).__name__}")
                if len(payload) >= self.max_records:  # possibly cut off at the server's limit: ask in halves
                    if end - start <= timedelta(seconds=1):
                        raise SourceError(f"GET {self.url}: {len(payload)} requests within one second "
                                          f"({start.isoformat()}): more than max_records, cannot page further")
                    middle = start + (end - start) / 2
                    windows.extend([(middle, end), (start, middle)])
                    continue
                rows = requests_to_rows(payload, self.fields, self.statuses, self.default_channel, self.tz,
                                        origin=f"{start.isoformat()}..{end.isoformat()}")
                yield Batch(RecordKind.ticket, rows, min((end - first).total_seconds() / total, 1.0))
        finally:
            http.close()
