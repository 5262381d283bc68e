"""Target status on every screen: a colour-blind-safe palette (Okabe–Ito blue / orange / vermillion), and the
same status as a shape and a word, so no one has to tell colours apart to read it. Every page takes the
status's colour, glyph, words and CSS class from here (`badge`), so a status reads the same everywhere."""
from __future__ import annotations

from dash import html

from layouts.i18n import t
from metrics.targets import registry

ORDER = ("red", "amber", "green")  # the map's z for a status: its index here
# Okabe–Ito's blue; its orange (#E69F00) and grey darkened so a fill keeps ≥ 3:1 against the white map panel
# as well as the wall's black (#E69F00 on white: 2.2:1), and its vermillion (#D55E00) darkened with them so
# amber and red still differ in lightness, which is what a red–green colour-blind reader tells them by
# (tests/test_contrast.py).
COLOURS = {"green": "#0072B2", "amber": "#BC8100", "red": "#B84A00", "no data": "#858585"}
# Plotly marker symbols and the same shapes as text glyphs for tables and the legend
SYMBOLS = {"green": "circle", "amber": "diamond", "red": "x", "no data": "circle-open"}
GLYPHS = {"green": "●", "amber": "◆", "red": "✖", "no data": "○", "not measured": "–", "not judged": "–",
          "no target": "–"}
NO_TARGET = "no target"  # a KPI without a judged target in the registry: nothing to be met


def label(status: str | None, lang: str, short: bool = False) -> str:
    """The status in words; `short` for the hover card of each commune (the legend states the rule)."""
    if short and status in ORDER:
        return t(f"status_{status}_short", lang)
    if status == "amber":
        return t("status_amber_long", lang).format(share=f"{registry()['status_rule']['amber_within']:.0%}")
    keys = {"green": "status_green_long", "red": "status_red_long", "not measured": "status_not_measured",
            "not judged": "status_not_judged", NO_TARGET: "no_target", None: "no_target"}
    return t(keys.get(status, "status_none"), lang)


def css_class(status: str | None) -> str:
    """`status status-green`, `status status-no-data`: the one class name a status has on the light pages."""
    return f"status status-{(status or NO_TARGET).replace(' ', '-')}"


def badge(status: str | None, lang: str, short: bool = False):
    """The status as a table cell shows it: its glyph in its colour (hidden from screen readers, the words
    say it) and its words in the text colour. None is a KPI without a target."""
    status = status or NO_TARGET
    return html.Span([html.Span(GLYPHS.get(status, GLYPHS["no data"]), className="status-glyph",
                                style={"color": COLOURS.get(status, COLOURS["no data"])}, **{"aria-hidden": "true"}),
                      " ", label(status, lang, short)], className=css_class(status), **{"data-status": status})


def colourscale() -> list:
    """A stepped scale over z = 0, 1, 2 (the index in ORDER): three flat colours, no blending."""
    steps = []
    for i, status in enumerate(ORDER):
        steps += [[i / 3, COLOURS[status]], [(i + 1) / 3, COLOURS[status]]]
    return steps
