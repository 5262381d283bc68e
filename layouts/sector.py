"""One sector (lĩnh vực) of one commune: its tiles, its dossiers by day and its procedures."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layouts.components import DrillView, drill_frame, format_kpi, table
from layouts.i18n import number, t

PREFIX = "sector"


class ids:
    PERIOD, CMP, NOTE, TILES, DAILY = (f"{PREFIX}-{n}" for n in ("period", "cmp", "note", "tiles", "daily"))
    PROCEDURES = "sector-procedures"


def procedure_table(procedures: pd.DataFrame, base: str, search: str, lang: str):
    rows = [[dcc.Link(f"{r['procedure_name']} ({code})", href=f"{base}/procedure/{code}{search}"),
             number(r["received"], lang), number(r["completed"], lang), number(r["completed_late"], lang),
             format_kpi("on_time_rate", r["on_time_rate"], lang), format_kpi("online_share", r["online_share"], lang)]
            for code, r in procedures.iterrows()]
    return table([t("procedure", lang), t("received", lang), t("completed", lang), t("completed_late", lang),
                  t("on_time_rate", lang), t("online_share", lang)], rows, caption=t("procedures_caption", lang),
                 numeric={1, 2, 3, 4, 5})


def layout(*, lang: str, trail: list, sector: str, commune_name: str, period_key: str, cmp: str | None,
           view: DrillView, procedures: pd.DataFrame, base: str, search: str):
    return drill_frame(PREFIX, lang, trail, sector, f"{t('sector', lang)} · {commune_name}", period_key, cmp, view,
                       [html.Div(procedure_table(procedures, base, search, lang), id=ids.PROCEDURES,
                                 className="panel"),
                        html.P(dcc.Link(t("sector_in_city", lang), href=f"/sector/{base.rsplit('/', 1)[1]}{search}"))])
