"""Pieces several pages share: KPI tiles (with the comparison's delta), the period and comparison pickers,
the breadcrumb, tables, the dossiers-by-day chart and every chart's text alternative."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from dash import dcc, html

from layouts.export import control as export_control
from layouts.i18n import day, number, percent, t
from metrics.kpis import CATALOGUE
from metrics.periods import COMPARISONS, CUSTOM, PRESETS, Period
from metrics.time import local_day, now

TILE_KPIS = ("dossiers_received", "on_time_rate", "online_share", "tickets_open", "documents_total")


def format_kpi(kpi_id: str, value, lang: str) -> str:
    return percent(value, lang) if CATALOGUE[kpi_id].unit == "percent" else number(value, lang)


def delta_text(kpi_id: str, value, previous, lang: str) -> str | None:
    """'▲ +2,5 điểm % · tốt hơn': the change against the comparison, its direction said in words and by an
    arrow (never by colour alone); None when either side has no data."""
    if value is None or previous is None or pd.isna(value) or pd.isna(previous):
        return None
    kpi = CATALOGUE[kpi_id]
    decimals = 0 if kpi.unit == "count" else 1
    change = round(float(value) - float(previous), decimals)  # a change the shown digits cannot tell is none
    if change == 0:
        return f"= {t('unchanged', lang)}"
    better = (change > 0) == (kpi.better == "higher")
    unit = f" {t('points', lang)}" if kpi.unit == "percent" else ""
    sign = "+" if change > 0 else "−"
    amount = number(abs(change), lang, decimals)
    return f"{'▲' if change > 0 else '▼'} {sign}{amount}{unit} · {t('better' if better else 'worse', lang)}"


def tiles(row, lang: str, previous=None, kpis: tuple[str, ...] = TILE_KPIS, compared: Period | None = None):
    """One tile per headline KPI; the definition and source are the tile's tooltip (title). With a
    comparison period, each tile also shows its change against the `previous` row."""
    out = []
    for kpi_id in kpis:
        kpi = CATALOGUE[kpi_id]
        value = row.get(kpi_id) if row is not None else None
        parts = [html.Div(kpi.name(lang), className="tile-label"),
                 html.Div(format_kpi(kpi_id, value, lang), className="tile-value", **{"data-kpi": kpi_id})]
        if compared is not None:  # a comparison without a row (no data then) says so on every tile
            before = previous.get(kpi_id) if previous is not None else None
            delta = delta_text(kpi_id, value, before, lang)
            parts.append(html.Div([delta or t("no_comparison", lang), html.Br(),
                                   f"{period_label(compared, lang)}: {format_kpi(kpi_id, before, lang)}"],
                                  className="tile-delta", **{"data-delta": kpi_id}))
        out.append(html.Div(parts, className="tile", title=f"{t('definition', lang)}: {kpi.definition(lang)}"
                                                           f"\n{t('source', lang)}: {kpi.source}"))
    return out


def period_label(period: Period, lang: str) -> str:
    return f"{day(period.start, lang)} – {day(period.end, lang)}"


def period_picker(component_id: str, period_key: str, lang: str, custom: bool = False):
    """The presets; with `custom`, also «Tùy chọn», which shows the page's `period_range`. Without it a
    custom range can only come from the URL (from/to), and the picker then just names it."""
    options = [{"label": t(k, lang), "value": k} for k in PRESETS]
    if custom or period_key == CUSTOM:
        options.append({"label": t(CUSTOM, lang), "value": CUSTOM})
    return html.Div([
        html.Label(t("period", lang), htmlFor=component_id),
        dcc.Dropdown(id=component_id, options=options, value=period_key, clearable=False, searchable=False,
                     className="picker"),
    ], className="control")


# Dates as layouts.i18n.day writes them: 25/11/2026 in Vietnamese, ISO in English (moment.js tokens); the
# calendar's month heading as digits, since the picker has no Vietnamese month names.
DATE_PICKER_FORMAT = {"vi": ("DD/MM/YYYY", "MM/YYYY"), "en": ("YYYY-MM-DD", "MMMM YYYY")}


def period_range(component_id: str, period: Period, lang: str):
    """The custom period's first and last day, shown while `component_id` (the period picker) says custom.
    Keyboard: type the day into either field, or open the calendar and move with the arrow keys.
    callbacks.context.range_in_url writes the two days into the URL (from/to), which the page redraws from.
    It starts on the period being viewed, so choosing «Tùy chọn» keeps the dates until one is changed."""
    range_id = f"{component_id}-range"
    display, month = DATE_PICKER_FORMAT[lang]
    return html.Div([
        html.Span(t("custom_range", lang), id=f"{range_id}-label", className="control-label"),
        html.Label(t("custom_start", lang), htmlFor=f"{range_id}-start", className="visually-hidden"),
        html.Label(t("custom_end", lang), htmlFor=f"{range_id}-end", className="visually-hidden"),
        dcc.DatePickerRange(id=range_id, start_date=period.start.isoformat(), end_date=period.end.isoformat(),
                            start_date_id=f"{range_id}-start", end_date_id=f"{range_id}-end",
                            start_date_placeholder_text=t("custom_start", lang),
                            end_date_placeholder_text=t("custom_end", lang), display_format=display,
                            month_format=month, first_day_of_week=1, updatemode="bothdates",
                            max_date_allowed=local_day(now()).isoformat(), clearable=False),
    ], id=f"{range_id}-box", hidden=period.key != CUSTOM, className="control", role="group",
        **{"aria-labelledby": f"{range_id}-label"})


def comparison_picker(component_id: str, cmp: str | None, lang: str):
    """None, the previous period or the same period a year earlier (radio buttons: arrow keys move)."""
    return html.Div([
        html.Label(t("compare_with", lang), htmlFor=component_id, id=f"{component_id}-label"),
        dcc.RadioItems(id=component_id, value=cmp or "none", inline=True, className="radio",
                       options=[{"label": t(f"cmp_{k}", lang), "value": k} for k in ("none", *COMPARISONS)]),
    ], className="control", role="group", **{"aria-labelledby": f"{component_id}-label"})


def period_note(period: Period, compared: Period | None, lang: str):
    text = f"{t('period', lang)}: {period_label(period, lang)}"
    if compared:
        text += f" · {t('compare_with', lang)}: {period_label(compared, lang)}"
    return html.P(text, className="period-note", role="status")


def breadcrumb(trail: list[tuple[str, str | None]]):
    """City › commune › sector › procedure: every level but the current one is a link back."""
    items = []
    for i, (label, href) in enumerate(trail):
        if i:
            items.append(html.Span(" › ", **{"aria-hidden": "true"}))
        items.append(dcc.Link(label, href=href) if href and i < len(trail) - 1
                     else html.Span(label, **{"aria-current": "page"}))
    return html.Nav(items, className="breadcrumb", **{"aria-label": "breadcrumb"})


def table(headers: list, rows: list[list], caption: str | None = None, numeric: set[int] = frozenset(), **kwargs):
    """A plain HTML table (readable by screen readers, navigable by keyboard through its links)."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in headers]))
    body = html.Tbody([html.Tr([html.Td(c, className="num" if j in numeric else None) for j, c in enumerate(r)])
                       for r in rows])
    return html.Table(([html.Caption(caption)] if caption else []) + [head, body], className="data-table", **kwargs)


GRAPH_CONFIG = {"displaylogo": False}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_day(value) -> date | None:
    """A plotted x/y value as a day, when it is one (a date, a timestamp, or an ISO day string from SQLite)."""
    if isinstance(value, (datetime, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value):
        return date.fromisoformat(value)
    return None


def _cell(value, lang: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return number(value, lang, 0 if float(value).is_integer() else 1)


def chart_text(fig: dict, lang: str, category: str | None = None) -> tuple[str, html.Table]:
    """What a chart shows, for those who cannot see it: its accessible name (title, series, what its axis
    runs over) and its plotted figures as a table, both read from the figure itself so they cannot drift
    from it. One row per day (or category) of the axis, one column per series; `category` heads the first
    column when the axis is not days."""
    columns, cells, order = [], {}, []
    title = fig["layout"].get("title", {}).get("text") or ""
    for trace in fig["data"]:
        horizontal = trace.get("orientation") == "h"
        keys, values = (trace.get("y"), trace.get("x")) if horizontal else (trace.get("x"), trace.get("y"))
        if keys is None or values is None:
            continue
        name = trace.get("name") or title
        columns.append(name)
        for key, value in zip(keys, values):
            key = _as_day(key) or key
            if key not in cells:
                order.append(key)
            cells.setdefault(key, {})[name] = value
    by_day = bool(order) and all(isinstance(k, date) for k in order)
    if by_day:
        order.sort()
    rows = [[day(k, lang) if by_day else k] + [_cell(cells[k].get(c), lang) for c in columns] for k in order]
    span = t("chart_days", lang).format(count=number(len(order), lang), start=day(order[0], lang),
                                       end=day(order[-1], lang)) if by_day \
        else t("chart_items", lang).format(count=number(len(order), lang))
    name = t("chart_label", lang).format(title=title, series=", ".join(columns) or "–", span=span)
    head = t("day_col", lang) if by_day else (category or t("category_col", lang))
    return name, table([head, *columns], rows, caption=title, numeric=set(range(1, len(columns) + 1)))


def chart(graph_id: str, fig: dict, lang: str, className: str = "chart", category: str | None = None,
          text: tuple[str, html.Table] | None = None):
    """A chart a screen reader can reach: a <figure> named after what it shows, holding the graph and, under
    «Xem dạng bảng», the same figures as a table. A redraw updates `<id>-figure`'s aria-label and
    `<id>-table`'s children with `chart_text` (callbacks.context.chart_outputs); `text`: that pair when the
    caller has it already."""
    name, data = text or chart_text(fig, lang, category)
    return html.Figure([
        dcc.Graph(id=graph_id, figure=fig, config=GRAPH_CONFIG),
        html.Details([html.Summary(t("show_as_table", lang)), html.Div(data, id=f"{graph_id}-table")],
                     className="chart-table"),
    ], id=f"{graph_id}-figure", className=className, **{"aria-label": name})
# Okabe–Ito colours, distinguishable with every common colour-vision deficiency; the orange darkened (as the
# status amber) and sky blue replaced by blue so every series stands 3:1 on the white card (tests/test_contrast.py).
RECEIVED, ON_TIME, LATE, INCOMING, OUTGOING, COMPARED = "#0072B2", "#009E73", "#D55E00", "#0072B2", "#BC8100", "#555555"
SERIES_COLOURS = (RECEIVED, ON_TIME, LATE, INCOMING, OUTGOING, COMPARED)


def chart_base(traces: list[dict], title: str, lang: str, days: bool = True, **layout) -> dict:
    """A chart as a plain figure dict: graph_objects validated and deep-copied every trace, most of a drill
    page's render time (issue 5). `days`: the x axis runs over days."""
    base = {"title": {"text": title}, "margin": {"l": 40, "r": 10, "t": 50, "b": 40}, "height": 340,
            "legend": {"orientation": "h", "y": -0.2}, "paper_bgcolor": "rgba(0,0,0,0)",
            "separators": ",." if lang == "vi" else ".,",  # plotly: decimal mark, then thousands
            # long category names (sectors, ticket categories) widen the margin instead of being cut
            "xaxis": {"automargin": True}, "yaxis": {"automargin": True}}
    if days:  # day/month numbers read the same in both languages (plotly's month names would be English)
        base["xaxis"].update({"tickformat": "%d/%m", "hoverformat": "%d/%m/%Y"})
    for axis in ("xaxis", "yaxis"):
        base[axis].update(layout.pop(axis, {}))
    return {"data": traces, "layout": {**base, **layout}}


def column(values) -> list:
    """A frame's column (or any sequence) as the plain list a figure dict carries."""
    return values.tolist() if hasattr(values, "tolist") else list(values)


def dossiers_figure(series: pd.DataFrame, lang: str, title: str | None = None,
                    compared: pd.DataFrame | None = None, shift=None) -> dict:
    """Received (line), completed on time and late (stacked bars) by day; with a comparison, its received
    as a dashed second line drawn on the days of this period (its days moved by `shift`)."""
    days = column(series["day"])
    traces = [
        {"type": "scatter", "x": days, "y": column(series["received"]), "name": t("received", lang),
         "line": {"color": RECEIVED}},
        {"type": "bar", "x": days, "y": column(series["completed_on_time"]), "name": t("completed_on_time", lang),
         "marker": {"color": ON_TIME}},
        {"type": "bar", "x": days, "y": column(series["completed_late"]), "name": t("completed_late", lang),
         "marker": {"color": LATE, "pattern": {"shape": "/"}}},
    ]
    if compared is not None:
        traces.append({"type": "scatter", "x": [d + shift for d in compared["day"]], "y": column(compared["received"]),
                       "name": f"{t('received', lang)} ({t('compared_period', lang)})",
                       "line": {"color": COMPARED, "dash": "dash"}})
    return chart_base(traces, title or t("dossiers_by_day", lang), lang, barmode="stack")


# ---- the levels below a commune (sector, procedure) share one shape of view
DRILL_TILES = ("dossiers_received", "dossiers_completed", "on_time_rate", "online_share", "full_online_share")


@dataclass(frozen=True)
class DrillView:
    """One sector's or one procedure's numbers in one commune over a period (metrics.breakdown)."""

    period: Period
    compared: Period | None
    row: pd.Series | None
    previous: pd.Series | None
    daily: pd.DataFrame
    compared_daily: pd.DataFrame | None

    @classmethod
    def of(cls, period: Period, compared: Period | None, rows_of, key: str, daily_of) -> "DrillView":
        """`rows_of(period)`: the breakdown holding row `key`; `daily_of(period)`: its dossiers by day."""
        def row(p):
            rows = rows_of(p)
            return rows.loc[key] if key in rows.index else None

        return cls(period, compared, row(period), row(compared) if compared else None, daily_of(period),
                   daily_of(compared) if compared else None)


def drill_dynamic(view: DrillView, lang: str, title: str) -> tuple:
    """(period note, tiles, dossiers-by-day figure, its accessible name, its table) of a sector or procedure
    page."""
    shift = (view.period.start - view.compared.start) if view.compared else None
    figure = dossiers_figure(view.daily, lang, f"{t('dossiers_by_day', lang)} · {title}", view.compared_daily, shift)
    return (period_note(view.period, view.compared, lang),
            tiles(view.row, lang, view.previous, kpis=DRILL_TILES, compared=view.compared),
            figure, *chart_text(figure, lang))


def drill_frame(prefix: str, lang: str, trail: list, title: str, subtitle: str, period_key: str, cmp: str | None,
                view: DrillView, below: list):
    """The page around a DrillView: breadcrumb, title, pickers, note, tiles, chart, then `below`."""
    note, tile_list, figure, name, data = drill_dynamic(view, lang, title)
    return html.Div([
        breadcrumb(trail), html.H1(title, className="page-title"), html.P(subtitle, className="facts"),
        html.Div([period_picker(f"{prefix}-period", period_key, lang, custom=True),
                  period_range(f"{prefix}-period", view.period, lang), comparison_picker(f"{prefix}-cmp", cmp, lang),
                  export_control(lang)], className="controls"),
        html.Div(note, id=f"{prefix}-note"),
        html.Section(tile_list, id=f"{prefix}-tiles", className="tiles", **{"aria-label": t("kpis", lang)}),
        chart(f"{prefix}-daily", figure, lang, text=(name, data)),
        *below,
    ])
