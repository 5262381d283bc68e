"""In headless Chromium, by keyboard only: a custom period typed into the date range (DD/MM/YYYY) goes into the
URL and redraws the page; a chart's «Xem dạng bảng» opens with Enter and holds the redrawn days."""
from __future__ import annotations

import os

import pytest

from tests.conftest import sign_in_browser
from tests.test_browser import seeded_app, wait_for  # noqa: F401 — seeded_app: a fixture
from tools import browser

pytestmark = pytest.mark.browser

if browser.available() and os.environ.get("CI") != "true":
    pytest.skip(browser.available(), allow_module_level=True)


def test_a_custom_range_typed_by_keyboard_and_the_chart_as_a_table(seeded_app):
    from selenium.webdriver.common.keys import Keys

    with browser.serve(seeded_app.server) as base, browser.chromium() as driver:
        sign_in_browser(driver, base, "leader", seeded_app.password)
        driver.get(f"{base}/commune/26506?period=custom&from=2025-11-03&to=2025-11-10")
        start = wait_for(lambda: driver.find_elements("css selector", "#commune-period-range-start"))[0]
        assert start.get_attribute("value") == "03/11/2025" and start.is_displayed()
        start.send_keys(Keys.CONTROL, "a")
        start.send_keys("05/11/2025", Keys.ENTER)
        wait_for(lambda: "from=2025-11-05&to=2025-11-10" in driver.current_url)
        wait_for(lambda: "05/11/2025" in driver.find_element("css selector", ".period-note").text)

        summary = driver.find_element("css selector", "#commune-dossiers-figure summary")
        driver.execute_script("arguments[0].focus()", summary)
        summary.send_keys(Keys.ENTER)
        rows = wait_for(lambda: [r for r in driver.find_elements("css selector", "#commune-dossiers-table tbody tr")
                                 if r.is_displayed()])
        assert [r.find_elements("css selector", "td")[0].text for r in rows] == \
            [f"{d:02d}/11/2025" for d in range(5, 11)]
        label = driver.find_element("css selector", "#commune-dossiers-figure").get_attribute("aria-label")
        assert "6 ngày, từ 05/11/2025 đến 10/11/2025" in label
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
