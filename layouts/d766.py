"""Decision 766/QĐ-TTg: the score of the city, the departments and the communes for a week, month, quarter
or year, by indicator group, with bands (in words) and ranks (metrics.score766)."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layouts import status as st
from layouts.components import table
from layouts.export import control as export_control
from layouts.i18n import day, number, t
from metrics.periods import GRAINS, Period
from metrics.score766 import weights

PATH = "/d766"
DEFAULT_GRAIN = "month"


class ids:
    GRAIN = "d766-grain"
    BODY = "d766-body"


def band_text(name_en, lang: str) -> str:
    if name_en is None or (isinstance(name_en, float) and pd.isna(name_en)):
        return st.label("no data", lang)
    band = next(b for b in weights()["bands"] if b["name_en"] == name_en)
    return band["name_vi"] if lang == "vi" else band["name_en"]


def score_table(scored: pd.DataFrame, names: pd.Series, lang: str, caption: str, link: str | None):
    groups = weights()["groups"]
    headers = [t("rank", lang), t("unit", lang), t("score_100", lang), t("band", lang), t("measurable", lang)] + \
        [html.Abbr(code, title=g["name_vi"] if lang == "vi" else g["name_en"]) for code, g in groups.items()]
    rows = []
    for code, r in scored.sort_values(["rank", "score_100"], ascending=[True, False], na_position="last").iterrows():
        name = names.get(code, code)
        rows.append([number(r["rank"], lang) if pd.notna(r["rank"]) else "–",
                     dcc.Link(name, href=f"/commune/{code}{link}") if link is not None else name,
                     number(r["score_100"], lang, 1), band_text(r["band"], lang),
                     f"{number(r['measurable_points'], lang)}/100"]
                    + [f"{number(r[f'{g}_points'], lang, 1)}/{number(r[f'{g}_measurable'], lang)}" for g in groups])
    return table(headers, rows, caption=caption, numeric={0, 2, 4, *range(5, 5 + len(groups))})


def body(*, lang: str, period: Period, scored: pd.DataFrame, commune_names: pd.Series, department_names: pd.Series,
         link: str):
    city = scored[scored["level"] == "city"].iloc[0]
    return [
        html.P(f"{t('period', lang)}: {period.key} ({day(period.start, lang)} – {day(period.end, lang)}) · "
               f"{t('city', lang)}: {number(city['score_100'], lang, 1)} ({band_text(city['band'], lang)}; "
               f"{t('measurable', lang)} {number(city['measurable_points'], lang)}/100)",
               className="facts", id="d766-city", role="status"),
        html.P(t("d766_note", lang), className="hint"),
        score_table(scored[scored["level"] == "department"], department_names, lang, t("departments", lang), None),
        score_table(scored[scored["level"] == "commune"], commune_names, lang, t("communes_168", lang), link),
    ]


def layout(*, lang: str, grain: str, parts: list):
    return html.Div([
        html.H1(t("d766_title", lang), className="page-title"),
        html.Div([html.Div([
            html.Label(t("grain", lang), id=f"{ids.GRAIN}-label"),
            dcc.RadioItems(id=ids.GRAIN, value=grain, inline=True, className="radio",
                           options=[{"label": t(f"grain_{g}", lang), "value": g} for g in GRAINS]),
        ], className="control", role="group", **{"aria-labelledby": f"{ids.GRAIN}-label"}), export_control(lang)],
            className="controls"),
        html.Div(parts, id=ids.BODY),
    ])
