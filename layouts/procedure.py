"""One procedure (thủ tục) of one commune: its tiles, its dossiers by day and its open dossiers at risk."""
from __future__ import annotations

import pandas as pd
from dash import html

from layouts.commune import warnings_table
from layouts.components import DrillView, drill_frame
from layouts.i18n import t

PREFIX = "procedure"


class ids:
    PERIOD, CMP, NOTE, TILES, DAILY = (f"{PREFIX}-{n}" for n in ("period", "cmp", "note", "tiles", "daily"))


def layout(*, lang: str, trail: list, code: str, name: str, sector: str, commune_name: str, period_key: str,
           cmp: str | None, view: DrillView, warnings: pd.DataFrame):
    return drill_frame(PREFIX, lang, trail, name, f"{t('procedure', lang)} {code} · {sector} · {commune_name}",
                       period_key, cmp, view, [html.Div(warnings_table(warnings, lang))])
