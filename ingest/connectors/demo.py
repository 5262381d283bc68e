"""The demo feed: the embedded default source, pulled through the same interface as a real one.

Records come from `ingest.demo.generator.DemoCity` (deterministic, calibrated on KPIS.md §4); the
store marks everything from a `demo` kind source as demo data, and every screen says so.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Iterator

import pandas as pd

from config import ROOT
from ingest.connectors.base import Batch, Connector, register
from ingest.contracts import RecordKind
from metrics.time import TZ


@register
class DemoConnector(Connector):
    kind = "demo"
    prepare_in_subprocess = True

    @cached_property
    def city(self):
        from geo.communes import communes_frame
        from ingest.demo.generator import DemoCity

        departments = pd.read_csv(ROOT / "store" / "reference" / "departments.csv")
        return DemoCity(communes_frame(), departments, seed=int(self.source.options.get("seed", 20250701)),
                        scale=float(self.source.options.get("scale", 1.0)))

    @property
    def start(self) -> date:
        from ingest.demo.generator import DEMO_START

        return date.fromisoformat(str(self.source.options["start"])) if "start" in self.source.options else DEMO_START

    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        return self.pull_part(since, until, 0, 1)

    def pull_part(self, since: datetime | None, until: datetime, part: int, parts: int,
                  claim=None) -> Iterator[Batch]:
        """Every `parts`-th day of the window: a day's records are generated from that day alone (days are
        near even, so they are dealt out in turn and `claim` is not needed)."""
        until_day = until.astimezone(TZ).date()
        lookback = max(self.city.max_dossier_lifetime_days, self.city.max_ticket_lifetime_days)
        first = self.start if since is None else max(self.start, since.astimezone(TZ).date() - timedelta(days=lookback))
        days = [first + timedelta(days=i) for i in range((until_day - first).days + 1)]
        if since is None:
            days.reverse()  # a backfill loads the newest days first: the default views fill in within a minute
        days = days[part::parts]
        for i, day in enumerate(days):
            progress = (i + 1) / len(days)
            yield Batch(RecordKind.dossier, self.city.dossier_versions(day, as_of=until, changed_since=since), progress)
            yield Batch(RecordKind.ticket, self.city.ticket_versions(day, as_of=until, changed_since=since), progress)
            # A day's document counts are final at the next midnight: emit each day once, when it closes.
            closes = datetime.combine(day + timedelta(days=1), time(0), TZ)
            if closes <= until and (since is None or closes > since):
                yield Batch(RecordKind.document_count, self.city.document_counts(day), progress)
