"""The frame around every page: title, demo banner, freshness, navigation, language switch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dash import dcc, html

from access.labels import labels as access_labels
from layouts.i18n import t
from layouts.sources import PATH as SOURCES_PATH
from layouts.sources import label as sources_label
from metrics.time import TZ

URL = "url"
PAGE = "page"
SHELL_STATUS = "shell-status"
SOURCES_LINK = "nav-sources"
PAGE_LINKS = ("ranking", "plan02", "d766")  # /ranking, /plan02, /d766


@dataclass(frozen=True)
class Freshness:
    """What the header says about the data: demo or not, as of when, stale sources, a backfill under way."""

    demo: bool
    as_of: datetime | None
    stale_sources: tuple[str, ...] = ()
    loading_progress: float | None = None


def app_layout():
    return html.Div([
        dcc.Location(id=URL, refresh="callback-nav"),
        html.Div(id=PAGE, role="main"),
    ])


def header(lang: str, freshness: Freshness, lang_href: str):
    badges = []
    if freshness.demo:
        badges.append(html.Div(t("demo_banner", lang), className="demo-banner", role="status"))
    if freshness.stale_sources:
        badges.append(html.Span(f"⚠ {t('stale', lang)}: {', '.join(freshness.stale_sources)}",
                                className="badge badge-stale", role="status"))
    if freshness.loading_progress is not None:
        badges.append(html.Span(f"{t('loading', lang)}: {freshness.loading_progress:.0%}",
                                className="badge badge-loading", role="status"))
    as_of = freshness.as_of.astimezone(TZ).strftime("%H:%M %d/%m/%Y") if freshness.as_of else "–"
    return html.Header([
        html.Div([
            dcc.Link(t("app_title", lang), href=f"/?lang={lang}" if lang != "vi" else "/", className="app-title"),
            html.Span([f"{t('data_as_of', lang)}: ", html.Strong(as_of)], className="as-of"),
            dcc.Link(sources_label("nav", lang), href=SOURCES_PATH + ("?lang=en" if lang == "en" else ""),
                     className="nav-link", id=SOURCES_LINK),
            *[dcc.Link(t(key, lang), href=f"/{key}" + ("?lang=en" if lang == "en" else ""), className="nav-link",
                       id=f"nav-{key}") for key in PAGE_LINKS],
            html.A(t("language", lang), href=lang_href, className="lang-switch", lang="en" if lang == "vi" else "vi"),
            html.A(access_labels(lang)["logout"], href="/logout" + ("?lang=en" if lang == "en" else ""),
                   className="nav-link logout-link"),
        ], className="header-row"),
        *badges,
    ], className="app-header")
