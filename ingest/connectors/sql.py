"""`sql`: a query against another database (any SQLAlchemy URL) for any record kind.

The query may use `:since` and `:until` (the pull's window, aware UTC datetimes; `since` is the
entry's `start` on a first pull) to read only what changed. Its columns are the contract's field
names, or are mapped with `fields`. The URL comes from an environment variable (`url_env`), since
it usually carries a password; a URL without one may be written as `url`.

    - name: district-db
      kind: sql
      every: 10m
      url_env: DISTRICT_DB_URL      # e.g. postgresql+psycopg://ioc_reader:…@10.0.0.5/hoso
      record_kind: dossier
      query: >
        SELECT ma_ho_so AS dossier_id, ... , cap_nhat AS updated_at
        FROM v_ho_so WHERE cap_nhat > :since AND cap_nhat <= :until
      timezone: Asia/Ho_Chi_Minh   # for timestamp columns without a zone
      overlap: 5m
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from ingest.connectors.base import Batch, Connector, register
from ingest.connectors.mapping import (first_moment, mapping_option, project, record_kind_option, seconds_option,
                                       zone)
from ingest.contracts import RecordKind
from ingest.http import AuthenticationError, SourceError

FETCH_ROWS = 5000


@register
class SqlConnector(Connector):
    kind = "sql"

    def __init__(self, source):
        super().__init__(source)
        o = source.options
        if not o.get("query"):
            raise ValueError(f"source {source.name!r}: `query` is required")
        if not (o.get("url") or o.get("url_env")):
            raise ValueError(f"source {source.name!r}: `url_env` (or `url`) is required")
        self.record_kind = record_kind_option(o, source.name)
        self.fields = mapping_option(o, self.record_kind, source.name)
        self.tz = zone(o.get("timezone"))
        self.overlap = timedelta(seconds=seconds_option(o, "overlap", "5m"))
        self.retries = int(o.get("retries", 3))
        self.backoff = float(o.get("backoff", 1.0))

    def _url(self) -> str:
        o = self.source.options
        if o.get("url_env"):
            value = os.environ.get(str(o["url_env"]))
            if not value:
                raise AuthenticationError(f"source {self.source.name!r}: environment variable {o['url_env']} is not set")
            return value
        return str(o["url"])

    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        start = first_moment(self.source.options) if since is None else since - self.overlap
        params = {"since": start.astimezone(timezone.utc), "until": until.astimezone(timezone.utc)}
        query = text(self.source.options["query"])
        params = {k: v for k, v in params.items() if f":{k}" in self.source.options["query"]}
        engine = create_engine(self._url(), pool_pre_ping=True)
        try:
            # Connecting is retried (the other database restarting); a query that fails half way fails the
            # pull, whose committed batches stay and whose watermark does not move.
            connect = Retrying(stop=stop_after_attempt(self.retries + 1),
                               wait=wait_exponential_jitter(multiplier=self.backoff, max=30, jitter=self.backoff / 2),
                               retry=retry_if_exception_type(OperationalError), reraise=True)
            conn = connect(engine.connect)
            try:
                result = conn.execution_options(stream_results=True).execute(query, params)
                columns = list(result.keys())
                n = 0
                while True:
                    chunk = result.fetchmany(FETCH_ROWS)
                    if not chunk:
                        break
                    rows = [project(dict(zip(columns, values)), self.record_kind, self.fields, self.tz,
                                    origin=f"row {n + i + 1}") for i, values in enumerate(chunk)]
                    n += len(chunk)
                    if self.record_kind is RecordKind.ticket:
                        from ingest.connectors.open311 import place_tickets

                        place_tickets(rows)
                    yield Batch(self.record_kind, rows, 0.5 if len(chunk) == FETCH_ROWS else 1.0)
            except DBAPIError as exc:
                raise SourceError(f"query of source {self.source.name!r} failed: {exc.orig!r}") from exc
            finally:
                conn.close()
        finally:
            engine.dispose()
