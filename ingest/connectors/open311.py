"""`open311`: hotline 1022 tickets over Open311 GeoReport v2, `GET {url}/requests.json`.

The spec filters by the request's receipt time (start_date/end_date at most 90 days apart) and
answers at most 1,000 requests by default. So a pull walks (since − lookback, until] in windows of at
most `window_days`; a window that comes back full may have been cut off, so it is split in two and
asked again, down to one second.

Receipt-time filters cannot ask "changed since". Where the server offers the GeoReport
`servicerequestupdates` extension (`GET {url}/servicerequestupdates.json?start_date=&end_date=`), an
incremental pull reads the updates made since the watermark and fetches the requests they name by id
(`requests.json?service_request_id=a,b,…`), however long ago those were received. Where it does not (a
404; `updates: auto` finds out on the first pull), the pull re-reads the requests received within
`lookback` before the watermark instead. A version already held is never written again (the upsert
compares update times).

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
      updates: auto                            # true, false or auto (use servicerequestupdates if offered)
      lookback: 30d                            # without updates: how far back to re-read for changes
      status_map: {acknowledged: in_progress}
      default_channel: phone
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Iterator

from ingest.connectors.base import Batch, Connector, register
from ingest.connectors.mapping import first_moment, project, seconds_option, zone
from ingest.contracts import RecordKind
from ingest.http import HttpSource, NotOfferedError, SourceError, secret
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
IDS_PER_REQUEST = 50  # service_request_id=a,b,… kept well inside a URL's usual 8 KB limit
# Requests received this long before the watermark are read again on an update-driven pull: an update
# stamped just before the watermark by a clock a little behind ours is not missed.
UPDATES_OVERLAP = timedelta(minutes=5)
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


def _as_list(payload, url: str, key: str) -> list:
    """A GeoReport answer: a bare list, or (some servers) the list under `key`."""
    if isinstance(payload, dict) and isinstance(payload.get(key), list):
        payload = payload[key]
    if not isinstance(payload, list):
        raise SourceError(f"GET {url}: expected a list of {key.replace('_', ' ')}, got {type(payload).__name__}")
    return payload


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
        self.updates = str(o.get("updates", "auto")).lower()
        if self.updates not in ("auto", "true", "false"):
            raise ValueError(f"source {source.name!r}: `updates` must be true, false or auto")
        self.updates_url = str(o["url"]).rstrip("/") + "/servicerequestupdates.json"
        self.default_channel = o.get("default_channel", "phone")
        self.tz = zone(o.get("timezone"))

    def _query(self, start: datetime | None = None, end: datetime | None = None) -> dict:
        o = self.source.options
        query = {"status": "open,closed"}
        if start is not None:
            query.update(start_date=start.astimezone(TZ).isoformat(), end_date=end.astimezone(TZ).isoformat())
        if o.get("jurisdiction_id"):
            query["jurisdiction_id"] = o["jurisdiction_id"]
        if o.get("api_key_env"):
            query["api_key"] = secret(o, "api_key_env", self.source.name)
        return query

    def _windows(self, first: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
        """(first, until] in windows of at most `window_days`, as a stack with the oldest on top."""
        windows, a = [], first
        while a < until:
            windows.append((a, min(a + self.window, until)))
            a = windows[-1][1]
        windows.reverse()
        return windows

    def _listed(self, http: HttpSource, url: str, first: datetime, until: datetime, key: str) -> Iterator[tuple]:
        """(list, start, end) for each window of (first, until], halving a window that came back full."""
        windows = self._windows(first, until)
        while windows:
            start, end = windows.pop()
            payload = _as_list(http.get_json(url, self._query(start, end)), url, key)
            if len(payload) >= self.max_records:  # possibly cut off at the server's limit: ask in halves
                if end - start <= timedelta(seconds=1):
                    raise SourceError(f"GET {url}: {len(payload)} {key.replace('_', ' ')} within one second "
                                      f"({start.isoformat()}): more than max_records, cannot page further")
                middle = start + (end - start) / 2
                windows.extend([(middle, end), (start, middle)])
                continue
            yield payload, start, end

    def _rows(self, payload: list, origin: str) -> list[dict]:
        return requests_to_rows(payload, self.fields, self.statuses, self.default_channel, self.tz, origin=origin)

    def _updated_ids(self, http: HttpSource, since: datetime, until: datetime) -> list[str] | None:
        """Ids of the requests updated in (since, until], or None where the server offers no updates."""
        if self.updates == "false":
            return None
        ids: dict[str, None] = {}
        try:
            for updates, _, _ in self._listed(http, self.updates_url, since - UPDATES_OVERLAP, until,
                                              "service_request_updates"):
                for update in updates:
                    if isinstance(update, dict) and update.get("service_request_id") not in (None, ""):
                        ids[str(update["service_request_id"]).strip()] = None
        except NotOfferedError:
            if self.updates == "true":
                raise SourceError(f"GET {self.updates_url}: the server offers no servicerequestupdates "
                                  f"(set `updates: auto` or `false` for source {self.source.name!r})") from None
            return None
        return list(ids)

    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        http = HttpSource(self.source.name, self.source.options)
        try:
            changed = self._updated_ids(http, since, until) if since is not None else None
            if since is None:
                first = first_moment(self.source.options)
            else:  # with updates only the newly received are listed; without, the lookback is re-read
                first = since - (UPDATES_OVERLAP if changed is not None else self.lookback)
            total = max((until - first).total_seconds(), 1.0)
            listed: set[str] = set()
            share = 0.5 if changed else 1.0  # of the progress bar, the rest for the updated requests
            for payload, start, end in self._listed(http, self.url, first, until, "service_requests"):
                rows = self._rows(payload, origin=f"{start.isoformat()}..{end.isoformat()}")
                listed.update(str(r.get("ticket_id")) for r in rows)
                yield Batch(RecordKind.ticket, rows, share * min((end - first).total_seconds() / total, 1.0))
            older = [i for i in (changed or []) if i not in listed]
            for n in range(0, len(older), IDS_PER_REQUEST):
                ids = older[n:n + IDS_PER_REQUEST]
                query = {**self._query(), "service_request_id": ",".join(ids)}
                payload = _as_list(http.get_json(self.url, query), self.url, "service_requests")
                rows = self._rows(payload, origin=f"updated ids {ids[0]}…{ids[-1]}")
                yield Batch(RecordKind.ticket, rows, 0.5 + 0.5 * min((n + len(ids)) / len(older), 1.0))
        finally:
            http.close()
