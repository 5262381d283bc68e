"""What every page callback reads from the URL (language, period) and the header's freshness."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from sqlalchemy import Engine

from ingest.sources import load_sources
from layouts.i18n import LANGUAGES
from layouts.shell import Freshness
from metrics.periods import Period, resolve
from metrics.time import local_day, now
from store.status import data_as_of, demo_in_store, source_status


@dataclass(frozen=True)
class PageQuery:
    lang: str
    period: Period
    kpi: str | None

    @classmethod
    def parse(cls, search: str | None) -> "PageQuery":
        q = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
        lang = q.get("lang") if q.get("lang") in LANGUAGES else "vi"
        return cls(lang, resolve(q.get("period"), local_day(now())), q.get("kpi"))

    def search(self, **changes) -> str:
        """The query string for this state with `changes` applied; defaults are left out of the URL."""
        state = {"lang": self.lang, "period": self.period.key, "kpi": self.kpi, **changes}
        params = {k: v for k, v in state.items() if v and (k, v) not in {("lang", "vi"), ("period", "30d")}}
        return f"?{urlencode(params)}" if params else ""


def freshness(engine: Engine, sources_file: str | None) -> Freshness:
    statuses = source_status(engine, load_sources(sources_file), count_records=False)
    changed_at, running = data_as_of(engine)
    return Freshness(demo=demo_in_store(engine), as_of=changed_at,
                     stale_sources=tuple(s["name"] for s in statuses if s["stale"]), loading_progress=running)
