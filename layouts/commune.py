"""A commune's drill-down: its tiles and series, its sectors (a click filters the daily chart and the
procedure table), its procedures and its early-warning list."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from dash import dcc, html

from layouts.components import (COMPARED, DRILL_TILES, INCOMING, OUTGOING, RECEIVED, TILE_KPIS, breadcrumb, chart,
                                chart_base, chart_text,
                                column, comparison_picker, dossiers_figure, format_kpi, period_note, period_picker,
                                period_range, table, tiles)
from layouts.export import control as export_control
from layouts.i18n import day, number, t
from metrics.breakdown import slug
from metrics.periods import Period


class ids:
    PERIOD = "commune-period"
    RANGE = "commune-period-range"  # layouts.components.period_range
    CMP = "commune-cmp"
    NOTE = "commune-note"
    TILES = "commune-tiles"
    DOSSIERS = "commune-dossiers"
    TICKETS = "commune-tickets"
    DOCUMENTS = "commune-documents"
    CODE = "commune-code"
    SECTORS = "commune-sectors"
    SECTOR_TABLE = "commune-sector-table"
    FILTER = "commune-filter"
    PROCEDURES = "commune-procedures"
    WARNINGS = "commune-warnings"


# The charts, each with what heads its table's first column when its axis is not days (an i18n key).
CHARTS = {ids.DOSSIERS: None, ids.SECTORS: "sector", ids.TICKETS: "ticket_category", ids.DOCUMENTS: None}
PROCEDURES_SHOWN = 15
WARNINGS_SHOWN = 50


@dataclass(frozen=True)
class CommuneView:
    """Everything the period, the comparison and the sector filter change, as the metrics layer gave it."""

    code: str
    base: str            # the commune's path (links below it are built on it)
    search: object       # PageQuery: builds the links' query strings
    period: Period
    compared: Period | None
    row: pd.Series
    previous: pd.Series | None
    series: dict[str, pd.DataFrame]
    compared_series: pd.DataFrame | None
    sectors: pd.DataFrame
    sector: str | None   # the filtering sector's name, or None
    sector_series: pd.DataFrame | None
    procedures: pd.DataFrame


def tickets_figure(series: pd.DataFrame, lang: str) -> dict:
    return chart_base([{"type": "bar", "y": column(series["category"]), "x": column(series["received"]),
                        "orientation": "h", "marker": {"color": RECEIVED}, "name": t("received", lang)}],
                      t("tickets_by_category", lang), lang, days=False, yaxis={"autorange": "reversed"})


def documents_figure(series: pd.DataFrame, lang: str) -> dict:
    traces = []
    for direction, colour in (("incoming", INCOMING), ("outgoing", OUTGOING)):
        part = series[series["direction"] == direction]
        traces.append({"type": "bar", "x": column(part["day"]), "y": column(part["total"]), "name": t(direction, lang),
                       "marker": {"color": colour}})
    return chart_base(traces, t("documents_by_direction", lang), lang, barmode="group")


def sectors_figure(sectors: pd.DataFrame, selected: str | None, lang: str) -> dict:
    """Dossiers received by sector; the filtering sector keeps its colour, the others are greyed and the
    title names the filter (so the state is said in words too)."""
    colours = [RECEIVED if selected in (None, name) else COMPARED for name in sectors.index]
    bars = {"type": "bar", "y": list(sectors.index), "x": column(sectors["received"]), "orientation": "h",
            "marker": {"color": colours}, "customdata": column(sectors["slug"]),
            "hovertemplate": "%{y}: %{x}<extra></extra>", "name": t("received", lang)}
    title = t("dossiers_by_sector", lang) + (f" · {t('filter', lang)}: {selected}" if selected else "")
    return chart_base([bars], title, lang, days=False, yaxis={"autorange": "reversed"},
                      height=max(340, 26 * len(sectors) + 90), clickmode="event")


def daily_figure(view: CommuneView, lang: str) -> dict:
    series = view.sector_series if view.sector else view.series["dossiers"]
    title = t("dossiers_by_day", lang) + (f" · {view.sector}" if view.sector else "")
    shift = (view.period.start - view.compared.start) if view.compared else timedelta(0)
    return dossiers_figure(series, lang, title, view.compared_series, shift)


def sector_rows(view: CommuneView, lang: str) -> list[list]:
    rows = []
    for name, r in view.sectors.iterrows():
        chosen = name == view.sector
        rows.append([
            dcc.Link(name, href=f"{view.base}/sector/{r['slug']}{view.search.search(sector=None)}"),
            number(r["received"], lang), number(r["completed"], lang), format_kpi("on_time_rate", r["on_time_rate"], lang),
            format_kpi("online_share", r["online_share"], lang),
            dcc.Link(t("clear_filter" if chosen else "filter", lang),
                     href=f"{view.base}{view.search.search(sector=None if chosen else r['slug'])}",
                     className="filter-link", title=f"{t('clear_filter' if chosen else 'filter_by', lang)}: {name}"),
        ])
    return rows


def sector_table(view: CommuneView, lang: str):
    return table([t("sector", lang), t("received", lang), t("completed", lang), t("on_time_rate", lang),
                  t("online_share", lang), t("filter", lang)], sector_rows(view, lang),
                 caption=t("sectors_caption", lang), numeric={1, 2, 3, 4})


def procedure_table(view: CommuneView, lang: str):
    shown = view.procedures.head(PROCEDURES_SHOWN)
    rows = [[dcc.Link(f"{r['procedure_name']} ({code})",
                      href=f"{view.base}/sector/{slug(r['sector'])}/procedure/{code}{view.search.search(sector=None)}"),
             r["sector"], number(r["received"], lang), number(r["completed"], lang),
             format_kpi("on_time_rate", r["on_time_rate"], lang)] for code, r in shown.iterrows()]
    caption = t("procedures_caption", lang) + (f" · {t('filter', lang)}: {view.sector}" if view.sector else "")
    caption += f" ({len(shown)}/{len(view.procedures)})"
    return table([t("procedure", lang), t("sector", lang), t("received", lang), t("completed", lang),
                  t("on_time_rate", lang)], rows, caption=caption, numeric={2, 3, 4})


def filter_note(view: CommuneView, lang: str):
    if not view.sector:
        return html.P(t("filter_hint", lang), className="hint")
    return html.P([f"{t('filter', lang)}: ", html.Strong(view.sector), " · ",
                   dcc.Link(t("clear_filter", lang), href=f"{view.base}{view.search.search(sector=None)}")],
                  className="filter-note", role="status")


def dynamic(view: CommuneView, lang: str) -> dict:
    """The parts a change of period, comparison or filter redraws, by component id (each chart's accessible
    name under `<id>-figure`, its table under `<id>-table`)."""
    parts = {ids.NOTE: period_note(view.period, view.compared, lang),
             ids.TILES: tiles(view.row, lang, view.previous, compared=view.compared,
                              kpis=DRILL_TILES if view.sector else TILE_KPIS),
             ids.DOSSIERS: daily_figure(view, lang), ids.TICKETS: tickets_figure(view.series["tickets"], lang),
             ids.DOCUMENTS: documents_figure(view.series["documents"], lang),
             ids.SECTORS: sectors_figure(view.sectors, view.sector, lang), ids.SECTOR_TABLE: sector_table(view, lang),
             ids.FILTER: filter_note(view, lang), ids.PROCEDURES: procedure_table(view, lang)}
    for graph_id, category in CHARTS.items():
        parts[f"{graph_id}-figure"], parts[f"{graph_id}-table"] = chart_text(
            parts[graph_id], lang, t(category, lang) if category else None)
    return parts


def warnings_table(rows: pd.DataFrame, lang: str):
    """Open dossiers overdue or due by the end of the next working day (metrics.early_warning)."""
    overdue = int((rows["state"] == "overdue").sum())
    summary = f"{t('overdue', lang)}: {number(overdue, lang)} · {t('due_next_working_day', lang)}: " \
              f"{number(len(rows) - overdue, lang)}"
    shown = rows.head(WARNINGS_SHOWN)
    body = [[("⚠ " if r["state"] == "overdue" else "◷ ") + t(r["state"], lang), r["dossier_id"],
             f"{r['procedure_name']} ({r['procedure_code']})", r["sector"],
             f"{r['due_at'].strftime('%H:%M')} {day(r['due_at'].date(), lang)}",
             number(r["working_days_overdue"], lang)] for _, r in shown.iterrows()]
    return html.Section([
        html.H2(t("early_warning", lang)), html.P(summary, role="status"),
        table([t("state", lang), t("dossier", lang), t("procedure", lang), t("sector", lang), t("due", lang),
               t("working_days_overdue", lang)], body, numeric={5},
              caption=f"{t('early_warning_caption', lang)} ({len(shown)}/{len(rows)})"),
    ], id=ids.WARNINGS, className="panel")


def layout(*, lang: str, period_key: str, cmp: str | None, commune: pd.Series, view: CommuneView,
           warnings: pd.DataFrame, home_href: str):
    population = number(commune["population"], lang)
    if commune["population_imputed"]:
        population += f" ({t('imputed', lang)})"
    parts = dynamic(view, lang)

    def graph(graph_id, className="chart"):
        category = CHARTS[graph_id]
        return chart(graph_id, parts[graph_id], lang, className, t(category, lang) if category else None,
                     text=(parts[f"{graph_id}-figure"], parts[f"{graph_id}-table"]))

    return html.Div([
        dcc.Store(id=ids.CODE, data=commune["code"]),
        breadcrumb([(t("city", lang), home_href), (commune["full_name"], None)]),
        html.H1(commune["full_name"], className="page-title"),
        html.P([f"{t('type_' + commune['type'], lang)} · {t('population', lang)}: {population} · "
                f"{t('area', lang)}: {number(commune['area_km2_calc'], lang, 2)} km² · mã {commune['code']}"],
               className="facts"),
        html.Div([period_picker(ids.PERIOD, period_key, lang, custom=True), period_range(ids.PERIOD, view.period, lang),
                  comparison_picker(ids.CMP, cmp, lang), export_control(lang)],
                 className="controls"),
        html.Div(parts[ids.NOTE], id=ids.NOTE),
        html.Section(parts[ids.TILES], id=ids.TILES, className="tiles", **{"aria-label": t("kpis", lang)}),
        html.Div(parts[ids.FILTER], id=ids.FILTER),
        html.Div([
            graph(ids.DOSSIERS, "chart chart-wide"), graph(ids.SECTORS),
            html.Div(parts[ids.SECTOR_TABLE], id=ids.SECTOR_TABLE, className="panel"),
            html.Div(parts[ids.PROCEDURES], id=ids.PROCEDURES, className="panel chart-wide"),
            graph(ids.TICKETS), graph(ids.DOCUMENTS),
        ], className="charts"),
        warnings_table(warnings, lang),
    ])


def not_found(lang: str, code: str, home_href: str):
    return html.Div([html.H1(t("not_found", lang)), html.P(f"{t('unknown_commune', lang)} {code!r}."),
                     dcc.Link(t("city", lang), href=home_href)], className="not-found")
