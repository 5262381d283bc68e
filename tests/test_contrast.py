"""WCAG 2.1 contrast of what shows a status: the status badges' words and glyphs on the light pages and on the
dark wall, the header's badges, and the status fills of the map against the map's background. Colours are read
from the stylesheets (assets/style.css, assets/wall.css) and from layouts/status.py, never copied here, so a
colour changed in either place is checked again. Text needs 4.5:1 (SC 1.4.3), a graphical object 3:1
(SC 1.4.11)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from layouts import status as st

ASSETS = Path(__file__).resolve().parent.parent / "assets"
TEXT, GRAPHIC = 4.5, 3.0


def rules(css_file: str) -> dict[str, dict[str, str]]:
    """Selector → its declarations (later rules add to earlier ones), comments stripped; a rule inside an
    @media block counts under its own selector."""
    text = re.sub(r"/\*.*?\*/", "", (ASSETS / css_file).read_text(), flags=re.S)
    out: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = dict((k.strip(), v.strip()) for k, v in
                            (d.split(":", 1) for d in body.split(";") if ":" in d))
        for selector in selectors.split(","):
            out.setdefault(" ".join(selector.split()), {}).update(declarations)
    return out


def colour(css: dict, selector: str, prop: str, scope: str) -> str:
    """A rule's colour with var(--x) resolved against the custom properties `scope` defines."""
    value = css[selector][prop]
    while (ref := re.fullmatch(r"var\((--[\w-]+)\)", value)) is not None:
        value = css[scope][ref.group(1)]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", value), (selector, prop, value)
    return value


def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_against_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast("#fff", "#ffffff") == pytest.approx(1.0)


LIGHT, WALL = rules("style.css"), rules("wall.css")
STATUSES = ("green", "amber", "red", "no data")


def light_backgrounds() -> dict[str, str]:
    """Where a status badge sits on the light pages: a table cell on a card, the page itself."""
    return {"card (.data-table)": colour(LIGHT, ".data-table", "background", ":root"),
            "page (body)": colour(LIGHT, "body", "background", ":root")}


def wall_backgrounds() -> dict[str, str]:
    return {"wall (.wall)": colour(WALL, ".wall", "background", ".wall"),
            "wall tile (.wall .tile)": colour(WALL, ".wall .tile", "background", ".wall")}


def test_status_badges_on_the_light_pages():
    """status.badge: the words in the page's ink (.status sets no colour of its own), the glyph in the
    status colour."""
    assert "color" not in LIGHT[".status"] and "color" not in LIGHT.get(".status-glyph", {})
    ink = colour(LIGHT, "body", "color", ":root")
    for where, background in light_backgrounds().items():
        assert contrast(ink, background) >= TEXT, where
        for status in STATUSES:
            assert contrast(st.COLOURS[status], background) >= GRAPHIC, (status, where)


def test_status_on_the_wall():
    """The wall's status cells (glyph in the status colour, words in the wall's ink) and its muted text."""
    for where, background in wall_backgrounds().items():
        for ink in ("--wall-ink", "--wall-muted"):
            assert contrast(WALL[".wall"][ink], background) >= TEXT, (ink, where)
        for status in STATUSES:
            assert contrast(st.COLOURS[status], background) >= GRAPHIC, (status, where)


@pytest.mark.parametrize("css_name, selector, scope", [
    ("style.css", ".badge-stale", ":root"), ("style.css", ".badge-loading", ":root"),
    ("style.css", ".badge-demo", ":root"), ("style.css", ".demo-banner", ":root"),
    ("wall.css", ".wall-badge-stale", ".wall"), ("wall.css", ".wall-demo", ".wall"),
])
def test_badge_text_on_its_own_background(css_name, selector, scope):
    css = LIGHT if css_name == "style.css" else WALL
    assert contrast(colour(css, selector, "color", scope), colour(css, selector, "background", scope)) >= TEXT


def test_the_wall_fresh_badge_an_outline_on_the_wall():
    fresh = colour(WALL, ".wall-badge-fresh", "color", ".wall")  # text and border in one colour, no fill
    for where, background in wall_backgrounds().items():
        assert contrast(fresh, background) >= TEXT, where


def test_status_fills_against_the_map_background():
    """The map's communes are filled in the status colours (layouts.status.colourscale) on a transparent
    plot: the light map panel shows through on the pages, the wall's black on the wall. A fill must stand
    3:1 off it; the legend's words beside it 4.5:1."""
    backgrounds = {"map panel": colour(LIGHT, ".map-panel", "background", ":root"),
                   "wall": colour(WALL, ".wall", "background", ".wall")}
    fills = {c for _, c in st.colourscale()} | {st.COLOURS["no data"]}
    assert fills == {st.COLOURS[s] for s in STATUSES}
    for where, background in backgrounds.items():
        for fill in fills:
            assert contrast(fill, background) >= GRAPHIC, (fill, where)
    assert contrast(colour(LIGHT, "body", "color", ":root"), backgrounds["map panel"]) >= TEXT
    assert contrast(colour(WALL, ".wall .map-legend", "color", ".wall"), backgrounds["wall"]) >= TEXT
    assert contrast(WALL[".wall"]["--wall-muted"], backgrounds["wall"]) >= TEXT  # .wall .map-legend-note


def test_amber_and_red_still_differ_in_lightness():
    """Red–green colour-blind readers tell amber from red mostly by lightness: darkening amber for the white
    map must not make it as dark as red (the shape and the word still say it too)."""
    assert contrast(st.COLOURS["amber"], st.COLOURS["red"]) >= 1.5


def test_chart_series_on_the_light_pages():
    """The drill charts' bars and lines (layouts.components) are graphical objects on the page's cards."""
    from layouts.components import SERIES_COLOURS

    for where, background in light_backgrounds().items():
        for series in SERIES_COLOURS:
            assert contrast(series, background) >= GRAPHIC, (series, where)
