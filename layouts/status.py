"""Target status on every screen: a colour-blind-safe palette (Okabe–Ito blue / orange / vermillion), and the
same status as a shape and a word, so no one has to tell colours apart to read it."""
from __future__ import annotations

from layouts.i18n import t
from metrics.targets import registry

ORDER = ("red", "amber", "green")  # the map's z for a status: its index here
COLOURS = {"green": "#0072B2", "amber": "#E69F00", "red": "#D55E00", "no data": "#9a9a9a"}
# Plotly marker symbols and the same shapes as text glyphs for tables and the legend
SYMBOLS = {"green": "circle", "amber": "diamond", "red": "x", "no data": "circle-open"}
GLYPHS = {"green": "●", "amber": "◆", "red": "✖", "no data": "○", "not measured": "–", "not judged": "–"}


def label(status: str, lang: str, short: bool = False) -> str:
    """The status in words; `short` for the hover card of each commune (the legend states the rule)."""
    if short and status in ORDER:
        return t(f"status_{status}_short", lang)
    if status == "amber":
        return t("status_amber_long", lang).format(share=f"{registry()['status_rule']['amber_within']:.0%}")
    keys = {"green": "status_green_long", "red": "status_red_long", "not measured": "status_not_measured",
            "not judged": "status_not_judged"}
    return t(keys.get(status, "status_none"), lang)


def colourscale() -> list:
    """A stepped scale over z = 0, 1, 2 (the index in ORDER): three flat colours, no blending."""
    steps = []
    for i, status in enumerate(ORDER):
        steps += [[i / 3, COLOURS[status]], [(i + 1) / 3, COLOURS[status]]]
    return steps
