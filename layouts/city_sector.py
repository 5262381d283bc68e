"""One sector across the city (/sector/<slug>): its tiles, its dossiers by day, and every commune's numbers
for it, each a link down to that commune's sector page."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layouts.components import DrillView, drill_frame, format_kpi, table
from layouts.i18n import number, t

PREFIX = "city-sector"
PATH = "/sector/"


class ids:
    PERIOD, CMP, NOTE, TILES, DAILY = (f"{PREFIX}-{n}" for n in ("period", "cmp", "note", "tiles", "daily"))
    UNITS = "city-sector-units"


def units_table(units: pd.DataFrame, names: pd.Series, sector_slug: str, search: str, lang: str):
    """The communes with dossiers of this sector, most received first."""
    communes = units[units.index.isin(names.index)]
    rows = [[dcc.Link(names[code], href=f"/commune/{code}/sector/{sector_slug}{search}"), number(r["received"], lang),
             number(r["completed"], lang), format_kpi("on_time_rate", r["on_time_rate"], lang),
             format_kpi("online_share", r["online_share"], lang)]
            for code, r in communes.sort_values(["received", "completed"], ascending=False).iterrows()]
    return table([t("commune", lang), t("received", lang), t("completed", lang), t("on_time_rate", lang),
                  t("online_share", lang)], rows, caption=f"{t('communes_in_sector', lang)} ({len(rows)})",
                 numeric={1, 2, 3, 4})


def layout(*, lang: str, trail: list, sector: str, period_key: str, cmp: str | None, view: DrillView, units_part):
    return drill_frame(PREFIX, lang, trail, sector, f"{t('sector', lang)} · {t('city', lang)}", period_key, cmp, view,
                       [html.Div(units_part, id=ids.UNITS, className="panel")])
