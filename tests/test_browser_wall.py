"""In headless Debian Chromium: the wall rotates through its views, redraws when (and only when) the data version
changes without sending the map's geometry again, reloads itself at its reload time; the overview's map switches
to equal tiles and zooms to a preset; and the soak: the wall through a simulated day, its JS heap reported."""
from __future__ import annotations

import json
import os
import time
import warnings
from datetime import timedelta
from pathlib import Path

import pytest

from app import create_app
from config import ROOT
from geo.regions import zoom_presets
from ingest import pipeline
from metrics.frame import data_version
from store.db import engine_for
from tests.conftest import add_person, at, demo_source, sign_in_browser, test_settings
from tools import browser

pytestmark = pytest.mark.browser

if browser.available() and os.environ.get("CI") != "true":
    pytest.skip(browser.available(), allow_module_level=True)

SOURCE = demo_source(scale=0.02, start="2025-10-20")
FIRST_PULL_UNTIL = at("2025-11-05 00:00")
# the panels as the wall names them; reload far away so only the reload test reloads
WALL = "/wall?period=since_merger&reload=86400"


LEADER: dict[str, str] = {}  # the signed-in person's password, made with the served app


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from store.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('wall-browser') / 'ioc.db'}"
    upgrade(url)
    assert pipeline.pull(engine_for(url), SOURCE, until=FIRST_PULL_UNTIL).status == "ok"
    return url


@pytest.fixture(scope="module")
def served(store):
    app = create_app(test_settings(store))
    LEADER["password"] = add_person(engine_for(store), "leader", "leader")
    with browser.serve(app.server) as base:
        yield base


def wait_for(predicate, timeout: float = 60.0, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met within timeout")


def active_view(driver) -> str | None:
    found = driver.find_elements("css selector", ".wall-panel.active")
    return found[0].get_attribute("data-view") if len(found) == 1 else None


def version_shown(driver) -> int:
    return int(driver.find_element("id", "wall-version-text").text or -1)


def pull_more(store, hours: int, after):
    """One more slice of the demo feed (`hours` after `after`): a new data version, as the scheduler makes."""
    until = after + timedelta(hours=hours)
    assert pipeline.pull(engine_for(store), SOURCE, until=until).status == "ok"
    return until


MAP_JS = "return document.querySelector('.wall-panel[data-view=\"map\"] .js-plotly-plot')"


def severe(driver) -> list:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_wall_rotates_redraws_on_a_new_version_and_keeps_the_geometry(served, store):
    with browser.chromium(1920, 1080) as driver:
        sign_in_browser(driver, served, "leader", LEADER["password"])
        driver.get(served + WALL + "&views=map,tiles,plan02&rotate=3&refresh=1")
        wait_for(lambda: len(driver.find_elements("css selector", ".wall-panel[data-view=map] path.choroplethlocation"))
                 == 168)
        assert not driver.find_elements("css selector", ".app-header, nav, a[href]")  # no navigation chrome
        assert "DỮ LIỆU MINH HỌA" in driver.find_element("css selector", ".wall-demo").text
        assert driver.find_element("id", "wall-clock").text  # the browser's own clock is running
        # rotation: one view at a time, each followed by the next in the URL's order
        order = ["map", "tiles", "plan02"]
        seen = [wait_for(lambda: active_view(driver))]
        while len(seen) < 5:
            seen.append(wait_for(lambda: (view := active_view(driver)) not in (None, seen[-1]) and view))
        assert set(seen) == set(order)
        assert all(order.index(b) == (order.index(a) + 1) % len(order) for a, b in zip(seen, seen[1:])), seen
        # the geometry is a URL the browser fetched once (geo/web.py); a refresh must not fetch it again
        driver.execute_script("performance.setResourceTimingBufferSize(100000)")
        geometry_url = driver.execute_script(MAP_JS + ".data[0].geojson")
        assert geometry_url.startswith("/geo/communes-")
        assert geometry_fetches(driver) == 1
        before = driver.execute_script(MAP_JS + ".data[0].customdata")
        tiles_before = driver.find_element("css selector", '.wall-panel[data-view=tiles] [data-kpi="dossiers_received"]')
        received_before = tiles_before.get_attribute("textContent")
        shown = version_shown(driver)
        assert shown == data_version(engine_for(store))
        time.sleep(2.5)  # several polls with no new data: nothing redraws
        assert version_shown(driver) == shown
        assert driver.execute_script(MAP_JS + ".data[0].customdata") == before
        pull_more(store, 24 * 3, FIRST_PULL_UNTIL)
        new = data_version(engine_for(store))
        assert new != shown
        wait_for(lambda: version_shown(driver) == new)
        wait_for(lambda: driver.execute_script(MAP_JS + ".data[0].customdata") != before)
        assert driver.execute_script(MAP_JS + ".data[0].geojson") == geometry_url  # values patched, geometry kept
        assert geometry_fetches(driver) == 1
        assert len(driver.find_elements("css selector", ".wall-panel[data-view=map] path.choroplethlocation")) == 168
        wait_for(lambda: driver.find_element(
            "css selector", '.wall-panel[data-view=tiles] [data-kpi="dossiers_received"]')
            .get_attribute("textContent") != received_before)
        assert not severe(driver), severe(driver)


def geometry_fetches(driver) -> int:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/geo/communes-')).length")


def test_wall_reloads_itself_at_its_reload_time(served):
    with browser.chromium(1280, 800) as driver:
        sign_in_browser(driver, served, "leader", LEADER["password"])
        driver.get(served + "/wall?period=since_merger&views=tiles&reload=4&refresh=600")
        wait_for(lambda: driver.find_elements("css selector", ".wall-panel.active"))
        driver.execute_script("window.__beforeReload = true")
        wait_for(lambda: driver.execute_script("return window.__beforeReload === undefined"), timeout=30)
        wait_for(lambda: driver.find_elements("css selector", ".wall-panel.active"))  # the wall is back
        assert "/wall" in driver.current_url


def test_overview_switches_to_equal_tiles_and_zooms_to_a_preset(served):
    with browser.chromium(1600, 1100) as driver:
        sign_in_browser(driver, served, "leader", LEADER["password"])
        driver.get(served + "/?period=since_merger&kpi=full_online_share")
        wait_for(lambda: len(driver.find_elements("css selector", "path.choroplethlocation")) == 168)
        legend = driver.find_element("id", "overview-legend").text
        assert "Đạt chỉ tiêu" in legend and "Chưa đạt" in legend and "80" in legend  # status in words
        core = zoom_presets()["core"]
        driver.find_element("css selector", "#overview-zoom input[value=core]").click()
        graph = "return document.querySelector('#overview-map .js-plotly-plot')"
        wait_for(lambda: driver.execute_script(graph + ".layout.geo.lonaxis.range") == core["lon"])
        wait_for(lambda: "zoom=core" in driver.current_url)
        driver.find_element("css selector", "#overview-view input[value=tiles]").click()
        wait_for(lambda: driver.find_element("id", "overview-tile-box").is_displayed())
        tiles = "return document.querySelector('#overview-tile-map .js-plotly-plot')"
        cells = driver.execute_script(tiles + ".data[0].customdata.flat().filter(c => c !== null).length")
        assert cells == 168
        wait_for(lambda: "view=tiles" in driver.current_url)
        # a copied link restores the view
        driver.get(driver.current_url)
        wait_for(lambda: (box := driver.find_elements("id", "overview-tile-box")) and box[0].is_displayed())
        assert not driver.find_element("id", "overview-map-box").is_displayed()
        assert not severe(driver), severe(driver)


def heap(driver) -> dict:
    """The page's JS heap after a full garbage collection, and its DOM counters (Chrome DevTools Protocol)."""
    driver.execute_cdp_cmd("HeapProfiler.enable", {})
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    usage = driver.execute_cdp_cmd("Runtime.getHeapUsage", {})
    counters = driver.execute_cdp_cmd("Memory.getDOMCounters", {})
    return {"used_mb": round(usage["usedSize"] / 2**20, 2), "total_mb": round(usage["totalSize"] / 2**20, 2),
            "nodes": counters["nodes"], "listeners": counters["jsEventListeners"]}


def test_soak_a_simulated_day_keeps_the_wall_bounded(served, store):
    """A simulated day: 24 hourly pulls back to back, each a new data version, while the wall rotates every
    second and polls every second. The heap and DOM are measured after a garbage collection at the start and
    at the end: growth must stay bounded (no figures or panels retained per version)."""
    hours = 24
    with browser.chromium(1920, 1080) as driver:
        sign_in_browser(driver, served, "leader", LEADER["password"])
        driver.get(served + WALL + "&views=map,tilemap,tiles,hotline,plan02,d766&rotate=1&refresh=1")
        wait_for(lambda: len(driver.find_elements("css selector", "path.choroplethlocation")) == 168)
        wait_for(lambda: active_view(driver) == "tilemap")  # rotation has begun
        start = heap(driver)
        driver.execute_script(
            "window.iocVersions = []; const el = document.getElementById('wall-version-text');"
            "new MutationObserver(() => { const v = el.textContent.trim();"  # React may empty it between renders
            "  if (v && Number(v) !== window.iocVersions.at(-1)) { window.iocVersions.push(Number(v)); } })"
            ".observe(el, {childList: true, characterData: true, subtree: true});")
        started = time.monotonic()
        until = at("2025-11-09 00:00")
        assert pipeline.pull(engine_for(store), SOURCE, until=until).status == "ok"  # catch up to the day
        first = data_version(engine_for(store))
        # drawn before the hourly pulls begin: else 24 quick pulls between two polls leave one version to draw
        wait_for(lambda: version_shown(driver) == first, timeout=120)
        for _ in range(hours):
            until = pull_more(store, 1, until)
        last = data_version(engine_for(store))
        wait_for(lambda: version_shown(driver) == last, timeout=120)
        shown = driver.execute_script("return window.iocVersions")
        end = heap(driver)
        seconds = round(time.monotonic() - started, 1)
        assert not severe(driver), severe(driver)
    figures = {"simulated_hours": hours, "seconds": seconds, "versions_made": last - first + 1,
               "versions_shown": len(set(shown)), "start": start, "end": end}
    out = Path(ROOT) / "var" / "soak-wall.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    # shown in pytest's warnings summary, so `make test` prints the figures without -s
    warnings.warn(f"wall soak: {hours} simulated hours in {seconds} s, {len(set(shown))} of {last - first + 1} data "
                  f"versions drawn; JS heap {start['used_mb']} MB → {end['used_mb']} MB, DOM nodes {start['nodes']} → "
                  f"{end['nodes']}, listeners {start['listeners']} → {end['listeners']} ({out})", UserWarning)
    assert shown == sorted(shown) and shown[-1] == last and len(set(shown)) >= 2  # forward only, up to the last
    # bounded: one figure retained per version would add the geometry (~1 MB) each time
    assert end["used_mb"] < start["used_mb"] * 1.5 + 5, figures
    assert end["nodes"] < start["nodes"] * 1.2 + 200, figures
    assert end["listeners"] < start["listeners"] * 1.2 + 50, figures
