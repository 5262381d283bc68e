"""Plan 02-KH/BCĐTW: each target with its legal source, deadline, value at the deadline, value now, status
(in words and by symbol), trend and projection (metrics.targets.evaluate)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from dash import html

from layouts import status as st
from layouts.components import format_kpi, table
from layouts.export import control as export_control
from layouts.i18n import day, number, t

PATH = "/plan02"
SIGN = {">=": "≥", "<=": "≤"}


def _value(kpi, value, lang: str) -> str:
    return "–" if kpi is None or pd.isna(value) else format_kpi(kpi, value, lang)


def _trend(kpi, slope, lang: str) -> str:
    if kpi is None or pd.isna(slope):
        return "–"
    arrow = "▲" if slope > 0 else "▼" if slope < 0 else "="
    return f"{arrow} {number(slope, lang, 2)}/{t('month_unit', lang)}"


def target_rows(evaluated: pd.DataFrame, lang: str, communes: int) -> list[list]:
    rows = []
    for target_id, r in evaluated.iterrows():
        kpi = r["kpi"]
        threshold = "–" if pd.isna(r["threshold"]) or kpi is None else f"{SIGN[r['comparison']]} {format_kpi(kpi, r['threshold'], lang)}"
        at_deadline = _value(kpi, r["value_at_deadline"], lang)
        if isinstance(r["met_at_deadline"], (bool, np.bool_)):  # None (not judged) may arrive as NaN
            at_deadline += f" ({t('met' if r['met_at_deadline'] else 'not_met', lang)})"
        projection = _value(kpi, r["projection"], lang)
        if r["next_deadline"] is not None and projection != "–":
            projection += f" ({day(r['next_deadline'], lang)})"
        title = r["title_vi"] if lang == "vi" else r["title_en"]
        if pd.notna(r["communes_met_now"]):
            title += f" · {t('communes_met', lang)}: {int(r['communes_met_now'])}/{communes}"
        rows.append([target_id, html.Span(title, title=r["note"] or None), threshold,
                     f"{r['source']} [{r['confidence']}]", day(r["deadline"], lang), at_deadline,
                     _value(kpi, r["value_now"], lang), st.badge(r["status"], lang), _trend(kpi, r["trend_per_month"], lang),
                     html.Span(projection, title=r["projection_method"] or None)])
    return rows


def layout(*, lang: str, evaluated: pd.DataFrame, today, communes: int):
    rule = evaluated["status_rule"].iloc[0] if len(evaluated) else ""
    return html.Div([
        html.H1(t("plan02_title", lang), className="page-title"),
        html.P(f"{t('as_of_day', lang)}: {day(today, lang)} · {t('status_rule', lang)}: {rule}", className="facts"),
        html.Div(export_control(lang), className="controls"),
        table([t("target_id", lang), t("target", lang), t("threshold", lang), t("legal_source", lang),
               t("deadline", lang), t("value_at_deadline", lang), t("value_now", lang), t("status", lang),
               t("trend", lang), t("projection", lang)], target_rows(evaluated, lang, communes),
              caption=t("plan02_caption", lang), numeric={5, 6, 8, 9}, id="plan02-targets"),
    ])
