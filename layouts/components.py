"""Pieces several pages share: KPI tiles (with the comparison's delta), the period and comparison pickers,
the breadcrumb, status text, tables and the dossiers-by-day chart."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from layouts.export import control as export_control
from layouts.i18n import day, number, percent, t
from metrics.kpis import CATALOGUE
from metrics.periods import COMPARISONS, CUSTOM, PRESETS, Period

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


def period_picker(component_id: str, period_key: str, lang: str):
    options = [{"label": t(k, lang), "value": k} for k in PRESETS]
    if period_key == CUSTOM:  # a custom range comes from the URL (from/to); the picker names it
        options.append({"label": t(CUSTOM, lang), "value": CUSTOM})
    return html.Div([
        html.Label(t("period", lang), htmlFor=component_id),
        dcc.Dropdown(id=component_id, options=options, value=period_key, clearable=False, searchable=False,
                     className="picker"),
    ], className="control")


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


# Status by symbol and words as well as colour (colour-blind safe, read out by screen readers).
STATUS_MARK = {"green": "✔", "amber": "▲", "red": "✖", "no data": "–", "not measured": "○", "not judged": "○"}


def status_badge(status: str, lang: str):
    key = status.replace(" ", "_")
    return html.Span(f"{STATUS_MARK.get(status, '')} {t('status_' + key, lang)}", className=f"status status-{key.replace('_', '-')}")


def table(headers: list, rows: list[list], caption: str | None = None, numeric: set[int] = frozenset(), **kwargs):
    """A plain HTML table (readable by screen readers, navigable by keyboard through its links)."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in headers]))
    body = html.Tbody([html.Tr([html.Td(c, className="num" if j in numeric else None) for j, c in enumerate(r)])
                       for r in rows])
    return html.Table(([html.Caption(caption)] if caption else []) + [head, body], className="data-table", **kwargs)


GRAPH_CONFIG = {"displaylogo": False}
# Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
RECEIVED, ON_TIME, LATE, INCOMING, OUTGOING, COMPARED = "#0072B2", "#009E73", "#D55E00", "#56B4E9", "#E69F00", "#555555"


def chart_base(fig: go.Figure, title: str, lang: str) -> go.Figure:
    fig.update_layout(title={"text": title}, margin={"l": 40, "r": 10, "t": 50, "b": 40}, height=340,
                      legend={"orientation": "h", "y": -0.2}, paper_bgcolor="rgba(0,0,0,0)",
                      separators=",." if lang == "vi" else ".,")  # plotly: decimal mark, then thousands
    # Day/month numbers read the same in both languages (plotly's month names would be English).
    fig.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    return fig


def dossiers_figure(series: pd.DataFrame, lang: str, title: str | None = None,
                    compared: pd.DataFrame | None = None, shift=None) -> go.Figure:
    """Received (line), completed on time and late (stacked bars) by day; with a comparison, its received
    as a dashed second line drawn on the days of this period (its days moved by `shift`)."""
    traces = [
        go.Scatter(x=series["day"], y=series["received"], name=t("received", lang), line={"color": RECEIVED}),
        go.Bar(x=series["day"], y=series["completed_on_time"], name=t("completed_on_time", lang),
               marker_color=ON_TIME),
        go.Bar(x=series["day"], y=series["completed_late"], name=t("completed_late", lang), marker_color=LATE,
               marker_pattern_shape="/"),
    ]
    if compared is not None:
        traces.append(go.Scatter(x=[d + shift for d in compared["day"]], y=compared["received"],
                                 name=f"{t('received', lang)} ({t('compared_period', lang)})",
                                 line={"color": COMPARED, "dash": "dash"}))
    fig = go.Figure(traces)
    fig.update_layout(barmode="stack")
    return chart_base(fig, title or t("dossiers_by_day", lang), lang)


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
    """(period note, tiles, dossiers-by-day figure) of a sector or procedure page."""
    shift = (view.period.start - view.compared.start) if view.compared else None
    return (period_note(view.period, view.compared, lang),
            tiles(view.row, lang, view.previous, kpis=DRILL_TILES, compared=view.compared),
            dossiers_figure(view.daily, lang, f"{t('dossiers_by_day', lang)} · {title}", view.compared_daily, shift))


def drill_frame(prefix: str, lang: str, trail: list, title: str, subtitle: str, period_key: str, cmp: str | None,
                view: DrillView, below: list):
    """The page around a DrillView: breadcrumb, title, pickers, note, tiles, chart, then `below`."""
    note, tile_list, figure = drill_dynamic(view, lang, title)
    return html.Div([
        breadcrumb(trail), html.H1(title, className="page-title"), html.P(subtitle, className="facts"),
        html.Div([period_picker(f"{prefix}-period", period_key, lang), comparison_picker(f"{prefix}-cmp", cmp, lang),
                  export_control(lang)], className="controls"),
        html.Div(note, id=f"{prefix}-note"),
        html.Section(tile_list, id=f"{prefix}-tiles", className="tiles", **{"aria-label": t("kpis", lang)}),
        dcc.Graph(id=f"{prefix}-daily", figure=figure, config=GRAPH_CONFIG, className="chart"),
        *below,
    ])
