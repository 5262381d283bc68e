"""What every page callback reads from the URL (language, period) and the header's freshness."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlencode

from sqlalchemy import Engine

from ingest.sources import load_sources
from layouts.i18n import LANGUAGES
from layouts.shell import Freshness
from metrics.periods import COMPARISONS, CUSTOM, GRAINS, Period, compare, resolve
from metrics.time import local_day, now
from store.status import data_as_of, demo_in_store, source_status


@dataclass(frozen=True)
class PageQuery:
    """The view's state that is not in the path: language, period (a preset, or `custom` with from/to),
    KPI, comparison (`cmp=prev|yoy`), the cross-filter (`sector`, a sector slug) and a table's sort
    (`sort`, `desc=1`), a score's grain (`grain`). A copied URL restores all of it."""

    lang: str
    period: Period
    kpi: str | None
    cmp: str | None = None
    sector: str | None = None
    sort: str | None = None
    desc: bool = False
    grain: str | None = None

    @classmethod
    def parse(cls, search: str | None) -> "PageQuery":
        q = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
        lang = q.get("lang") if q.get("lang") in LANGUAGES else "vi"
        period = resolve(q.get("period"), local_day(now()), day_of(q.get("from")), day_of(q.get("to")))
        return cls(lang, period, q.get("kpi"), q.get("cmp") if q.get("cmp") in COMPARISONS else None,
                   q.get("sector") or None, q.get("sort") or None, q.get("desc") == "1",
                   q.get("grain") if q.get("grain") in GRAINS else None)

    @property
    def comparison(self) -> Period | None:
        return compare(self.period, self.cmp)

    def search(self, **changes) -> str:
        """The query string for this state with `changes` applied; defaults are left out of the URL.
        A custom period carries its dates (`start`, `end` change them); changing `period` to a preset drops
        them, changing it to custom keeps the days being viewed."""
        state = {"lang": self.lang, "period": self.period.key, "kpi": self.kpi, "cmp": self.cmp,
                 "sector": self.sector, "sort": self.sort, "desc": "1" if self.desc else None, "grain": self.grain}
        state.update({k: ("1" if v else None) if k == "desc" else v for k, v in changes.items()})
        if state["period"] == CUSTOM:  # from a preset, custom starts on the preset's days
            state["from"] = changes.get("start") or self.period.start.isoformat()
            state["to"] = changes.get("end") or self.period.end.isoformat()
        state.pop("start", None), state.pop("end", None)
        params = {k: v for k, v in state.items() if v and (k, v) not in {("lang", "vi"), ("period", "30d")}}
        return f"?{urlencode(params)}" if params else ""


def day_of(text: str | None) -> date | None:
    """A day from the URL or a date picker ('2025-11-05', or with a time after it), None if it is not one."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def freshness(engine: Engine, sources_file: str | None) -> Freshness:
    statuses = source_status(engine, load_sources(sources_file))
    changed_at, running = data_as_of(engine)
    return Freshness(demo=demo_in_store(engine), as_of=changed_at,
                     stale_sources=tuple(s["name"] for s in statuses if s["stale"]), loading_progress=running)


# The drill path: /commune/<code>[/sector/<sector slug>[/procedure/<procedure code>]]
DRILL_PATH = re.compile(r"^/commune/(?P<code>[^/]+)(?:/sector/(?P<sector>[^/]+)(?:/procedure/(?P<procedure>[^/]+))?)?/?$")


def chart_outputs(graph_id: str) -> list:
    """A chart's redraw (layouts.components.chart): its figure, its accessible name and its table."""
    from dash import Output

    return [Output(graph_id, "figure"), Output(f"{graph_id}-figure", "aria-label"),
            Output(f"{graph_id}-table", "children")]


def pickers_in_url(app, period_id: str, cmp_id: str) -> None:
    """A page's period and comparison pickers write the URL's query (the page redraws from it)."""
    from dash import Input, Output, State, no_update

    from layouts.shell import URL

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(period_id, "value"), Input(cmp_id, "value"),
                  State(URL, "search"), prevent_initial_call=True)
    def keep_in_url(period_key, cmp, search):
        new = PageQuery.parse(search).search(period=period_key, cmp=None if cmp == "none" else cmp)
        return no_update if new == (search or "") else new

    range_in_url(app, period_id)


def range_in_url(app, period_id: str) -> None:
    """The custom range under a period picker (layouts.components.period_range): shown while the picker says
    custom; its two days, once both are chosen, go into the URL as from/to through PageQuery."""
    from dash import Input, Output, State, no_update

    from layouts.shell import URL

    range_id = f"{period_id}-range"

    @app.callback(Output(f"{range_id}-box", "hidden"), Input(period_id, "value"), prevent_initial_call=True)
    def show_range(period_key):
        return period_key != CUSTOM

    @app.callback(Output(URL, "search", allow_duplicate=True), Input(range_id, "start_date"),
                  Input(range_id, "end_date"), State(period_id, "value"), State(URL, "search"),
                  prevent_initial_call=True)
    def range_to_url(start, end, period_key, search):
        first, last = day_of(start), day_of(end)
        if period_key != CUSTOM or first is None or last is None:
            return no_update
        new = PageQuery.parse(search).search(period=CUSTOM, start=first.isoformat(), end=last.isoformat())
        return no_update if new == (search or "") else new
