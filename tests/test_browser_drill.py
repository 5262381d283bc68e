"""In headless Chromium: a drill from the map down to a procedure (through a sector's cross-filter) and back by the
breadcrumb; a copied URL restoring the same view in a fresh browser; the language switch keeping the view."""
from __future__ import annotations

import os
import re

import pytest

from tests.conftest import sign_in_browser
from tests.test_browser import click_a_large_commune, seeded_app, wait_for  # noqa: F401 — seeded_app: a fixture
from tools import browser

pytestmark = pytest.mark.browser

if browser.available() and os.environ.get("CI") != "true":
    pytest.skip(browser.available(), allow_module_level=True)

# The demo history below ends in November 2025; the views ask for Plan 02's breakthrough phase.
PERIOD = "?period=phase2"


def css(driver, selector: str):
    return driver.find_elements("css selector", selector)


def title(driver) -> str:
    return wait_for(lambda: [h.text for h in css(driver, "h1.page-title") if h.text])[0]


def view_of(driver) -> dict:
    """What a person sees of the view's state: the title, the breadcrumb, the tiles, the period note, the
    comparison chosen and the filter."""
    wait_for(lambda: css(driver, ".tile-value"))
    return {"title": title(driver), "crumbs": [e.text for e in css(driver, ".breadcrumb a, .breadcrumb span")],
            "tiles": [e.text for e in css(driver, ".tile")], "note": css(driver, ".period-note")[0].text,
            "cmp": [e.get_attribute("value") for e in css(driver, "input[type=radio]") if e.is_selected()],
            "filter": [e.text for e in css(driver, ".filter-note")]}


def test_drill_from_the_map_to_a_procedure_and_back_by_the_breadcrumb(seeded_app):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    with browser.serve(seeded_app.server) as base, browser.chromium() as driver:
        sign_in_browser(driver, base, "leader", seeded_app.password)
        driver.get(base + "/" + PERIOD)
        paths = wait_for(lambda: (p := css(driver, "path.choroplethlocation")) and len(p) == 168 and p)
        click_a_large_commune(driver, paths)
        wait_for(lambda: "/commune/" in driver.current_url)
        code = driver.current_url.rsplit("/commune/", 1)[1].split("?")[0]
        commune = wait_for(lambda: [t for t in [title(driver)] if t.startswith(("Phường", "Xã", "Đặc khu"))])[0]

        # cross-filter by mouse: a click on a sector's bar filters the daily chart and the procedure table
        bars = wait_for(lambda: css(driver, "#commune-sectors .bars .point path"))
        ActionChains(driver).move_to_element(bars[0]).click().perform()
        wait_for(lambda: "sector=" in driver.current_url)
        sector_slug = re.search(r"sector=([a-z0-9-]+)", driver.current_url).group(1)
        note = wait_for(lambda: [e.text for e in css(driver, ".filter-note") if e.text])[0]
        sector = note.split(":", 1)[1].split("·")[0].strip()
        wait_for(lambda: sector in css(driver, "#commune-dossiers .gtitle")[0].text)
        procedure_sectors = [row.find_elements("css selector", "td")[1].text
                             for row in css(driver, "#commune-procedures tbody tr")]
        assert procedure_sectors and set(procedure_sectors) == {sector}
        # ... and by keyboard: the filter link of the same sector clears it (Enter on a focused link)
        clear = css(driver, "#commune-filter a")[0]
        clear.send_keys(Keys.ENTER)
        wait_for(lambda: "sector=" not in driver.current_url and not css(driver, ".filter-note"))

        # down: the sector's page, then one of its procedures
        driver.find_element("css selector", f'a[href^="/commune/{code}/sector/{sector_slug}?"]').click()
        wait_for(lambda: title(driver) == sector)
        first = wait_for(lambda: css(driver, "#sector-procedures tbody a"))[0]
        procedure_name = first.text.rsplit(" (", 1)[0]
        first.click()
        wait_for(lambda: title(driver) == procedure_name)
        assert "/procedure/" in driver.current_url and "period=phase2" in driver.current_url
        crumbs = [a.text for a in css(driver, ".breadcrumb a")]
        assert crumbs == ["Toàn Thành phố", commune, sector]
        wait_for(lambda: css(driver, "#procedure-daily .main-svg"))

        # back up, one level at a time
        css(driver, ".breadcrumb a")[2].click()
        wait_for(lambda: title(driver) == sector)
        css(driver, ".breadcrumb a")[1].click()
        wait_for(lambda: title(driver) == commune)
        css(driver, ".breadcrumb a")[0].click()
        wait_for(lambda: len(css(driver, "path.choroplethlocation")) == 168)
        assert driver.current_url.endswith("/" + PERIOD)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors


def test_a_copied_url_restores_the_view_in_a_fresh_browser_and_the_language_switch_keeps_it(seeded_app):
    with browser.serve(seeded_app.server) as base:
        with browser.chromium() as driver:
            sign_in_browser(driver, base, "leader", seeded_app.password)
            driver.get(f"{base}/commune/26506{PERIOD}")
            wait_for(lambda: css(driver, "#commune-sectors .bars .point path"))
            # choose a comparison and a sector filter in the page: both go to the URL
            driver.find_element("css selector", "#commune-cmp input[value=prev]").click()
            wait_for(lambda: "cmp=prev" in driver.current_url)
            wait_for(lambda: css(driver, ".tile-delta"))
            css(driver, "#commune-sector-table a.filter-link")[1].click()
            wait_for(lambda: "sector=" in driver.current_url and css(driver, ".filter-note"))
            wait_for(lambda: "·" in css(driver, "#commune-dossiers .gtitle")[0].text)  # the filtered chart's title
            copied, seen = driver.current_url, view_of(driver)
        assert seen["cmp"] == ["prev"] and seen["filter"]
        with browser.chromium() as fresh:  # a new profile: nothing shared but the URL (and who signs in)
            sign_in_browser(fresh, base, "leader", seeded_app.password)
            fresh.get(copied)
            wait_for(lambda: css(fresh, ".filter-note"))
            assert view_of(fresh) == seen
            # the language switch: English, same page, same period, comparison and filter
            fresh.find_element("css selector", ".lang-switch").click()
            wait_for(lambda: "lang=en" in fresh.current_url)
            wait_for(lambda: css(fresh, ".breadcrumb a") and css(fresh, ".breadcrumb a")[0].text == "Whole city")
            english = view_of(fresh)
            assert english["title"] == seen["title"] and english["cmp"] == ["prev"]
            assert english["note"].startswith("Period: ") and "Compare with" in english["note"]
            assert english["filter"][0].startswith("Filter: ")
            assert re.search(r"\d{2}/\d{2}/\d{4}", seen["note"])  # dd/mm/yyyy in Vietnamese
            tile = fresh.find_element("css selector", '[data-kpi="dossiers_received"]').text
            assert re.fullmatch(r"[\d,]+", tile), tile  # English thousands separator
            errors = [e for e in fresh.get_log("browser") if e["level"] == "SEVERE"]
            assert not errors, errors
