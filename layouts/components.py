"""Pieces several pages share: KPI tiles, the period picker."""
from __future__ import annotations

from dash import dcc, html

from layouts.i18n import number, percent, t
from metrics.kpis import CATALOGUE
from metrics.periods import PRESETS

TILE_KPIS = ("dossiers_received", "on_time_rate", "online_share", "tickets_open", "documents_total")


def format_kpi(kpi_id: str, value, lang: str) -> str:
    return percent(value, lang) if CATALOGUE[kpi_id].unit == "percent" else number(value, lang)


def tiles(row, lang: str):
    """One tile per headline KPI; the definition and source are the tile's tooltip (title)."""
    out = []
    for kpi_id in TILE_KPIS:
        kpi = CATALOGUE[kpi_id]
        value = row.get(kpi_id) if row is not None else None
        out.append(html.Div([
            html.Div(kpi.name(lang), className="tile-label"),
            html.Div(format_kpi(kpi_id, value, lang), className="tile-value", **{"data-kpi": kpi_id}),
        ], className="tile", title=f"{t('definition', lang)}: {kpi.definition_vi if lang == 'vi' else kpi.definition_en}"
                                    f"\n{t('source', lang)}: {kpi.source}"))
    return out


def period_picker(component_id: str, period_key: str, lang: str):
    return html.Div([
        html.Label(t("period", lang), htmlFor=component_id),
        dcc.Dropdown(id=component_id, options=[{"label": t(k, lang), "value": k} for k in PRESETS],
                     value=period_key, clearable=False, searchable=False, className="picker"),
    ], className="control")
