"""In headless Debian Chromium: the overview's map has the 168 communes; a click opens a drill-down."""
from __future__ import annotations

import os
import re
import time

import pytest

from app import create_app
from ingest import pipeline
from store.db import engine_for
from tests.conftest import add_person, at, demo_source, sign_in_browser, test_settings
from tools import browser

pytestmark = pytest.mark.browser

if browser.available() and os.environ.get("CI") != "true":
    pytest.skip(browser.available(), allow_module_level=True)


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    from store.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'ioc.db'}"
    upgrade(url)
    result = pipeline.pull(engine_for(url), demo_source(scale=0.05, start="2025-10-01"), until=at("2025-11-20 12:00"))
    assert result.status == "ok" and result.rows_stored > 0
    app = create_app(test_settings(url))
    app.password = add_person(engine_for(url), "leader", "leader")
    return app


def wait_for(predicate, timeout: float = 30.0, step: float = 0.25):
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except StaleElementReferenceException:  # the page was redrawn while being read: look again
            value = None
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met within timeout")


def click_a_large_commune(driver, paths) -> None:
    """A click on the largest commune wholly on screen (the Côn Đảo inset may reach below the window);
    ActionChains because an overlay catches element.click()."""
    from selenium.webdriver.common.action_chains import ActionChains

    height = driver.execute_script("return window.innerHeight")
    on_screen = [p for p in paths if p.location["y"] + p.size["height"] < height]
    target = max(on_screen, key=lambda p: p.size["width"] * p.size["height"])
    ActionChains(driver).move_to_element(target).click().perform()


def test_overview_map_has_168_communes_and_a_click_opens_the_drill_down(seeded_app):
    with browser.serve(seeded_app.server) as base, browser.chromium() as driver:
        sign_in_browser(driver, base, "leader", seeded_app.password)
        driver.get(base + "/?period=since_merger")
        paths = wait_for(lambda: (p := driver.find_elements("css selector", "path.choroplethlocation"))
                         and len(p) == 168 and p)
        assert len(paths) == 168
        assert "DỮ LIỆU MINH HỌA" in driver.find_element("css selector", ".demo-banner").text
        tile = driver.find_element("css selector", '[data-kpi="dossiers_received"]').text
        assert re.fullmatch(r"[\d.]+", tile), tile  # Vietnamese thousands separator, a real number
        click_a_large_commune(driver, paths)
        wait_for(lambda: "/commune/" in driver.current_url)
        code = driver.current_url.rsplit("/commune/", 1)[1].split("?")[0]
        assert re.fullmatch(r"\d{5}", code)
        # the router answers after the URL changed: wait for the commune's own title
        title = wait_for(lambda: [h.text for h in driver.find_elements("css selector", "h1.page-title")
                                  if h.text.startswith(("Phường", "Xã", "Đặc khu"))])[0]
        assert driver.find_element("css selector", ".facts").text.endswith(f"mã {code}"), title
        wait_for(lambda: len(driver.find_elements("css selector", ".chart .main-svg")) >= 3)
        # the breadcrumb goes back to the city
        driver.find_element("css selector", ".breadcrumb a").click()
        wait_for(lambda: len(driver.find_elements("css selector", "path.choroplethlocation")) == 168)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
