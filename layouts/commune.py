"""A commune's drill-down: its tiles and its series (dossiers, hotline tickets, documents)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from layouts.components import period_picker, tiles
from layouts.export import control as export_control
from layouts.i18n import number, t


class ids:
    PERIOD = "commune-period"
    TILES = "commune-tiles"
    DOSSIERS = "commune-dossiers"
    TICKETS = "commune-tickets"
    DOCUMENTS = "commune-documents"
    CODE = "commune-code"


GRAPH_CONFIG = {"displaylogo": False}
# Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
RECEIVED, ON_TIME, LATE, INCOMING, OUTGOING = "#0072B2", "#009E73", "#D55E00", "#56B4E9", "#E69F00"


def _base(fig: go.Figure, title: str, lang: str) -> go.Figure:
    fig.update_layout(title={"text": title}, margin={"l": 40, "r": 10, "t": 50, "b": 40}, height=340,
                      legend={"orientation": "h", "y": -0.2}, paper_bgcolor="rgba(0,0,0,0)",
                      separators=",." if lang == "vi" else ".,")  # plotly: decimal mark, then thousands
    # Day/month numbers read the same in both languages (plotly's month names would be English).
    fig.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    return fig


def dossiers_figure(series: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure([
        go.Scatter(x=series["day"], y=series["received"], name=t("received", lang), line={"color": RECEIVED}),
        go.Bar(x=series["day"], y=series["completed_on_time"], name=t("completed_on_time", lang),
               marker_color=ON_TIME),
        go.Bar(x=series["day"], y=series["completed_late"], name=t("completed_late", lang), marker_color=LATE),
    ])
    fig.update_layout(barmode="stack")
    return _base(fig, t("dossiers_by_day", lang), lang)


def tickets_figure(series: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure(go.Bar(y=series["category"], x=series["received"], orientation="h", marker_color=RECEIVED))
    fig.update_yaxes(autorange="reversed")
    return _base(fig, t("tickets_by_category", lang), lang)


def documents_figure(series: pd.DataFrame, lang: str) -> go.Figure:
    traces = []
    for direction, colour in (("incoming", INCOMING), ("outgoing", OUTGOING)):
        part = series[series["direction"] == direction]
        traces.append(go.Bar(x=part["day"], y=part["total"], name=t(direction, lang), marker_color=colour))
    fig = go.Figure(traces)
    fig.update_layout(barmode="group")
    return _base(fig, t("documents_by_direction", lang), lang)


def figures(series: dict[str, pd.DataFrame], lang: str) -> tuple[go.Figure, go.Figure, go.Figure]:
    return (dossiers_figure(series["dossiers"], lang), tickets_figure(series["tickets"], lang),
            documents_figure(series["documents"], lang))


def layout(*, lang: str, period_key: str, commune: pd.Series, row, series: dict[str, pd.DataFrame], home_href: str):
    dossiers, tickets_fig, documents = figures(series, lang)
    population = number(commune["population"], lang)
    if commune["population_imputed"]:
        population += f" ({t('imputed', lang)})"
    return html.Div([
        dcc.Store(id=ids.CODE, data=commune["code"]),
        html.Nav([dcc.Link(t("city", lang), href=home_href), html.Span(" › "),
                  html.Span(commune["full_name"], **{"aria-current": "page"})],
                 className="breadcrumb", **{"aria-label": "breadcrumb"}),
        html.H1(commune["full_name"], className="page-title"),
        html.P([f"{t('type_' + commune['type'], lang)} · {t('population', lang)}: {population} · "
                f"{t('area', lang)}: {number(commune['area_km2_calc'], lang, 2)} km² · mã {commune['code']}"],
               className="facts"),
        html.Div([period_picker(ids.PERIOD, period_key, lang), export_control(lang)], className="controls"),
        html.Section(tiles(row, lang), id=ids.TILES, className="tiles"),
        html.Div([
            dcc.Graph(id=ids.DOSSIERS, figure=dossiers, config=GRAPH_CONFIG, className="chart chart-wide"),
            dcc.Graph(id=ids.TICKETS, figure=tickets_fig, config=GRAPH_CONFIG, className="chart"),
            dcc.Graph(id=ids.DOCUMENTS, figure=documents, config=GRAPH_CONFIG, className="chart"),
        ], className="charts"),
    ])


def not_found(lang: str, code: str, home_href: str):
    return html.Div([html.H1(t("not_found", lang)), html.P(f"{t('unknown_commune', lang)} {code!r}."),
                     dcc.Link(t("city", lang), href=home_href)], className="not-found")
