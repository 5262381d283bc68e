"""`document_counts`: daily document counts per unit and direction from a document-management system.

`GET {url}?from=YYYY-MM-DD&to=YYYY-MM-DD` answering JSON (a list, or a list under `records_key`) or
CSV (by the Content-Type, or `format: csv`). A day's counts may still change for a while (documents
registered late), so each pull re-reads `lookback_days` before the watermark; an unchanged count is
not written again.

    - name: documents
      kind: document_counts
      every: 1h
      url: https://vanban.example/api/thongke
      auth: {type: basic, username_env: VB_USER, password_env: VB_PASSWORD}
      params: {from: tu_ngay, to: den_ngay}
      fields: {unit_code: ma_don_vi, day: ngay, direction: loai, total: tong, electronic: dien_tu,
               digitally_signed: ky_so}
      directions: {den: incoming, di: outgoing}
      lookback_days: 7
      window_days: 31
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Iterator

from ingest.connectors.base import Batch, Connector, register
from ingest.connectors.mapping import DIRECTIONS, first_moment, mapping_option, project
from ingest.contracts import RecordKind
from ingest.http import HttpSource, SourceError
from metrics.time import TZ



def count_rows(records, fields: dict[str, str], directions: dict[str, str], origin: str) -> list[dict]:
    rows = []
    for i, record in enumerate(records):
        row = project(record, RecordKind.document_count, fields, origin=f"{origin} #{i + 1}")
        direction = row.get("direction")
        if isinstance(direction, str):
            row["direction"] = directions.get(direction.strip().lower(), direction)
        rows.append(row)
    return rows


def parse_body(content: bytes, content_type: str, forced: str | None, records_key: str) -> list:
    """The records of a response: JSON or CSV; anything else is the source's error."""
    as_csv = forced == "csv" or (forced is None and "csv" in content_type.lower())
    if as_csv:
        text = content.decode("utf-8-sig", errors="replace")
        return list(csv.DictReader(io.StringIO(text, newline="")))
    import json

    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"not JSON: {exc}") from exc
    if isinstance(payload, dict):
        payload = payload.get(records_key)
    if not isinstance(payload, list):
        raise SourceError(f"expected a list of counts (or one under {records_key!r})")
    return payload


@register
class DocumentCountsConnector(Connector):
    kind = "document_counts"

    def __init__(self, source):
        super().__init__(source)
        o = source.options
        if not o.get("url"):
            raise ValueError(f"source {source.name!r}: `url` is required")
        self.fields = mapping_option(o, RecordKind.document_count, source.name)
        self.directions = {**DIRECTIONS, **{str(k).lower(): str(v) for k, v in (o.get("directions") or {}).items()}}
        self.params = {"from": "from", "to": "to", **(o.get("params") or {})}
        self.lookback = timedelta(days=int(o.get("lookback_days", 7)))
        self.window = timedelta(days=max(int(o.get("window_days", 31)), 1))
        self.format = o.get("format")
        self.records_key = str(o.get("records_key", "data"))

    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        first = (first_moment(self.source.options) if since is None else since - self.lookback).astimezone(TZ).date()
        last = until.astimezone(TZ).date()
        span = max((last - first).days + 1, 1)
        http = HttpSource(self.source.name, self.source.options)
        try:
            day = first
            while day <= last:
                end = min(day + self.window - timedelta(days=1), last)
                query = {self.params["from"]: day.isoformat(), self.params["to"]: end.isoformat()}
                response = http.get(self.source.options["url"], query)
                try:
                    records = parse_body(response.content, response.headers.get("Content-Type", ""), self.format,
                                         self.records_key)
                except SourceError as exc:
                    raise SourceError(f"GET {self.source.options['url']} ({day}..{end}): {exc}") from None
                rows = count_rows(records, self.fields, self.directions, origin=f"{day}..{end}")
                yield Batch(RecordKind.document_count, rows, min(((end - first).days + 1) / span, 1.0))
                day = end + timedelta(days=1)
        finally:
            http.close()
