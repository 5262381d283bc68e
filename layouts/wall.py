"""Wall mode (`/wall`): the operations room's unattended screen. No navigation chrome, a dark high-contrast
theme (assets/wall.css, everything under `.wall`), a clock, "data as of" and a staleness badge on each panel,
and the panels shown one at a time. Layout functions only: callbacks/wall.py reads the data."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layouts import status as st
from layouts.components import format_kpi, tiles
from layouts.i18n import number, t
from layouts.shell import Freshness
from metrics.kpis import CATALOGUE
from metrics.score766 import weights
from metrics.time import TZ

PATH = "/wall"


class ids:
    CONFIG = "wall-config"
    VERSION = "wall-version"      # the data version the wall shows (only ever moves forward)
    LATEST = "wall-version-latest"  # the version the last poll saw
    DRAWN = "wall-version-drawn"    # the version the last redraw of the panels was built for
    VERSION_TEXT = "wall-version-text"
    POLL = "wall-poll"
    CLOCK_TICK = "wall-clock-tick"
    CLOCK = "wall-clock"
    ROTATE_TICK = "wall-rotate-tick"
    PAGER = "wall-pager"
    AS_OF = "wall-as-of"

    @staticmethod
    def panel(view: str) -> dict:
        return {"type": "wall-panel", "view": view}

    @staticmethod
    def fresh(view: str) -> dict:
        return {"type": "wall-fresh", "view": view}

    @staticmethod
    def body(view: str) -> dict:
        """A panel redrawn whole when the data version changes (small HTML)."""
        return {"type": "wall-body", "view": view}

    @staticmethod
    def graph(view: str) -> dict:
        """A map panel: patched when the data version changes, never redrawn."""
        return {"type": "wall-graph", "view": view}


def as_of_text(freshness: Freshness) -> str:
    return freshness.as_of.astimezone(TZ).strftime("%H:%M %d/%m/%Y") if freshness.as_of else "–"


def fresh_badge(freshness: Freshness, lang: str):
    """A panel's "data as of" and whether its sources are up to date (text and shape, not colour alone)."""
    stale = freshness.stale_sources
    badge = html.Span(f"⚠ {t('stale', lang)}: {', '.join(stale)}" if stale else f"✔ {t('fresh', lang)}",
                      className="wall-badge " + ("wall-badge-stale" if stale else "wall-badge-fresh"), role="status")
    return [html.Span(f"{t('data_as_of', lang)} {as_of_text(freshness)}", className="wall-as-of"), badge]


def panel(view: str, title: str, body, freshness: Freshness, lang: str, active: bool, graph: bool):
    return html.Section([
        html.Div([html.H2(title), html.Div(fresh_badge(freshness, lang), id=ids.fresh(view), className="wall-fresh")],
                 className="wall-panel-head"),
        html.Div(body, className="wall-panel-body") if graph else
        html.Div(body, id=ids.body(view), className="wall-panel-body"),
    ], id=ids.panel(view), className="wall-panel active" if active else "wall-panel", role="region",
        **{"aria-label": title, "data-view": view})


def graph(view: str, figure, config: dict, label: str, legend):
    # the label for screen readers: a map's SVG says nothing by itself; the legend gives status in words
    return [html.Div(legend, className="map-legend", role="note"),
            html.Div(dcc.Graph(id=ids.graph(view), figure=figure, config=config, responsive=True,
                               className="wall-graph", style={"height": "100%"}),
                     role="img", className="wall-graph", **{"aria-label": label})]


def dark(figure: dict) -> dict:
    """A map's text in the wall's ink, large enough for the room."""
    layout = figure["layout"]
    layout["font"] = {**layout.get("font", {}), "color": "#ffffff", "size": 18}
    layout["hoverlabel"] = {"font": {"size": 18}}
    layout["annotations"] = [{**a, "font": {"size": 20, "color": "#ffffff"}} for a in layout.get("annotations", [])]
    return figure


def page(*, lang: str, config: dict, version: int, freshness: Freshness, panels: list):
    """The whole wall: top bar (title, demo banner, data as of, version, pager, clock) and the panels."""
    rotating = len(panels) > 1 and config["rotate"] > 0
    return html.Div([
        dcc.Store(id=ids.CONFIG, data=config),
        dcc.Store(id=ids.VERSION, data=version),
        dcc.Store(id=ids.LATEST, data=version),
        dcc.Store(id=ids.DRAWN, data=version),
        dcc.Interval(id=ids.CLOCK_TICK, interval=1000),
        dcc.Interval(id=ids.ROTATE_TICK, interval=max(config["rotate"], 1) * 1000, disabled=not rotating),
        dcc.Interval(id=ids.POLL, interval=config["refresh"] * 1000),
        html.Header([
            html.Div(t("app_title", lang), className="wall-title"),
            html.Div([f"{t('data_as_of', lang)}: ", html.Strong(as_of_text(freshness), id=ids.AS_OF)],
                     className="wall-bar-as-of"),
            html.Div([f"{t('data_version', lang)} ", html.Span(str(version), id=ids.VERSION_TEXT)],
                     className="wall-version"),
            html.Div(f"1 / {len(panels)}", id=ids.PAGER, className="wall-pager", **{"aria-live": "off"}),
            html.Div(id=ids.CLOCK, className="wall-clock", role="timer", **{"aria-live": "off"}),
        ], className="wall-bar"),
        html.Div(t("demo_banner", lang), className="wall-demo", role="status") if freshness.demo else None,
        html.Div(panels, className="wall-panels" + ("" if rotating else " wall-all")),
    ], className="wall", lang=lang)


def unknown_views(names: list[str], lang: str):
    return html.Div(f"{t('unknown_view', lang)}: {', '.join(names)}", className="wall-note", role="alert")


def headline(row, lang: str):
    return html.Div(tiles(row, lang), className="tiles wall-tiles")


def _table(head: list[str], rows: list[list], caption: str | None = None, classes: str = ""):
    return html.Table([
        html.Caption(caption) if caption else None,
        html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
        html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows]),
    ], className=f"wall-table {classes}".strip())


def status_cell(status: str, lang: str):
    return html.Span([html.Span(st.GLYPHS.get(status, "○"), className="wall-glyph",
                                style={"color": st.COLOURS.get(status, st.COLOURS["no data"])},
                                **{"aria-hidden": "true"}), " ", st.label(status, lang)],
                     className=f"wall-status wall-status-{status.replace(' ', '-')}")


def hotline(city_row, communes: pd.DataFrame, frame: pd.DataFrame, lang: str, top: int = 8):
    """The hotline's city figures, and the communes with the most overdue open tickets."""
    kpis = ("tickets_received", "tickets_open", "tickets_open_overdue", "tickets_on_time_rate", "tickets_satisfaction")
    figures = html.Div([html.Div([html.Div(CATALOGUE[k].name(lang), className="tile-label"),
                                  html.Div(format_kpi(k, city_row.get(k), lang), className="tile-value",
                                           **{"data-kpi": k})], className="tile") for k in kpis],
                       className="tiles wall-tiles")
    overdue = frame["tickets_open_overdue"].reindex(communes.index).dropna().sort_values(ascending=False).head(top)
    rows = [[communes.at[c, "full_name"], number(v, lang), format_kpi("tickets_open", frame.at[c, "tickets_open"], lang)]
            for c, v in overdue.items()]
    return [figures, _table(["", CATALOGUE["tickets_open_overdue"].name(lang), CATALOGUE["tickets_open"].name(lang)],
                            rows, t("overdue_tickets_by_commune", lang))]


def plan02(targets: pd.DataFrame, lang: str):
    """Each Plan 02 target: value now against its threshold, status by glyph and word, deadline."""
    rows = []
    for target_id, r in targets.iterrows():
        value = format_kpi(r["kpi"], r["value_now"], lang) if isinstance(r["kpi"], str) else "–"
        threshold = f"{r['comparison']} {number(r['threshold'], lang)}" if pd.notna(r["threshold"]) else "–"
        rows.append([target_id, r["title_vi"] if lang == "vi" else r["title_en"], value, threshold,
                     status_cell(r["status"], lang), r["deadline"].strftime("%d/%m/%Y")])
    return _table(["", t("target_col", lang), t("value_now", lang), t("legend_target", lang), t("status", lang),
                   t("deadline", lang)], rows, classes="wall-targets")


def d766(period_label: str, scored: pd.DataFrame, names: pd.Series, lang: str, top: int = 5):
    """Decision 766: the city's score and band, the departments', and the highest and lowest communes."""
    band_names = {b["name_en"]: b[f"name_{lang}"] for b in weights()["bands"]}

    def row(code, r):
        return [names.get(code, code), number(r["score_100"], lang, 1), band_names.get(r["band"], "–"),
                "–" if pd.isna(r["rank"]) else str(int(r["rank"]))]

    city = scored.loc["city"]
    communes = scored[scored["level"] == "commune"].dropna(subset=["score_100"]).sort_values("score_100")
    departments = scored[scored["level"] == "department"].dropna(subset=["score_100"]).sort_values("score_100")
    head = ["", t("score", lang), t("band", lang), t("rank", lang)]
    return [
        html.Div([html.Div(period_label, className="tile-label"),
                  html.Div(number(city["score_100"], lang, 1), className="tile-value", **{"data-kpi": "score_100"}),
                  html.Div([band_names.get(city["band"], "–"), " · ",
                            t("measurable_of_100", lang).format(points=number(city["measurable_points"], lang))],
                           className="tile-label")], className="tile wall-score"),
        html.Div([
            _table(head, [row(c, r) for c, r in communes.iloc[::-1].head(top).iterrows()], t("best_communes", lang)),
            _table(head, [row(c, r) for c, r in communes.head(top).iterrows()], t("worst_communes", lang)),
            _table(head, [row(c, r) for c, r in departments.iloc[::-1].iterrows()], t("departments", lang)),
        ], className="wall-columns"),
    ]
