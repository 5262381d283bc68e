"""The ranking of the 168 communes for one KPI and period: rank, value, the comparison's change and the
commune target's status in words. Columns sort by links that live in the URL (keyboard-reachable)."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layouts import status as st
from layouts.components import (comparison_picker, delta_text, format_kpi, period_note, period_picker,
                                period_range, table)
from layouts.export import control as export_control
from layouts.i18n import number, t
from metrics.kpis import CATALOGUE

PATH = "/ranking"
# KPIs a commune has a value of (the commune counts are 0/1 flags per commune, not rankable).
RANK_KPIS = tuple(k for k, kpi in CATALOGUE.items() if kpi.unit != "communes")
DEFAULT_KPI = "on_time_rate"


class ids:
    KPI = "ranking-kpi"
    PERIOD = "ranking-period"
    CMP = "ranking-cmp"
    NOTE = "ranking-note"
    TABLE = "ranking-table"


def sort_rows(rows: pd.DataFrame, sort: str | None, desc: bool) -> pd.DataFrame:
    """Rows sorted by a column; no data last whatever the direction."""
    column = {"name": "name", "value": "value", "change": "change"}.get(sort or "rank", "rank")
    return rows.sort_values([column, "name"], ascending=[not desc, True], na_position="last")


def header(label: str, key: str, query, lang: str):
    """A column heading that sorts: ascending first, descending on a second press; its state said in words."""
    current = (query.sort or "rank") == key
    desc = current and not query.desc
    arrow = (" ▼" if query.desc else " ▲") if current else ""
    state = t("sorted_desc" if query.desc else "sorted_asc", lang) if current else t("sort_by", lang)
    return dcc.Link(label + arrow, href=PATH + query.search(sort=None if key == "rank" and not desc else key,
                                                              desc=desc),
                    title=f"{state}: {label}", className="sort-link")


def ranking_table(rows: pd.DataFrame, kpi_id: str, query, lang: str, target_text: str | None):
    compared = query.comparison is not None
    headers = [header(t("rank", lang), "rank", query, lang), header(t("commune", lang), "name", query, lang),
               t("type", lang), header(CATALOGUE[kpi_id].name(lang), "value", query, lang)]
    if compared:
        headers += [t("compared_period", lang), header(t("change", lang), "change", query, lang)]
    headers.append(t("target_status", lang))
    link_query = query.search(kpi=None, sort=None, desc=False)
    body = []
    for code, r in sort_rows(rows, query.sort, query.desc).iterrows():
        line = [number(r["rank"], lang) if pd.notna(r["rank"]) else "–",
                dcc.Link(r["name"], href=f"/commune/{code}{link_query}"), t(f"type_{r['type']}", lang),
                format_kpi(kpi_id, r["value"], lang)]
        if compared:
            line += [format_kpi(kpi_id, r["previous"], lang), delta_text(kpi_id, r["value"], r["previous"], lang) or "–"]
        line.append(st.badge(r["status"] if isinstance(r["status"], str) else None, lang))
        body.append(line)
    caption = f"{CATALOGUE[kpi_id].name(lang)} · {len(rows)} {t('communes', lang)}"
    if target_text:
        caption += f" · {t('target', lang)}: {target_text}"
    return table(headers, body, caption=caption, numeric={0, 3, 4} if compared else {0, 3})


def layout(*, lang: str, query, kpi_id: str, rows: pd.DataFrame, target_text: str | None):
    return html.Div([
        html.H1(t("ranking_title", lang), className="page-title"),
        html.Div([
            html.Div([html.Label(t("kpi_ranked", lang), htmlFor=ids.KPI),
                      dcc.Dropdown(id=ids.KPI, options=[{"label": CATALOGUE[k].name(lang), "value": k} for k in RANK_KPIS],
                                   value=kpi_id, clearable=False, className="picker")], className="control"),
            period_picker(ids.PERIOD, query.period.key, lang, custom=True), period_range(ids.PERIOD, query.period, lang),
            comparison_picker(ids.CMP, query.cmp, lang),
            export_control(lang),
        ], className="controls"),
        html.Div(period_note(query.period, query.comparison, lang), id=ids.NOTE),
        html.Div(ranking_table(rows, kpi_id, query, lang, target_text), id=ids.TABLE),
    ])
