"""In headless Chromium: the login page under the CSP, a wall screen opened by its display token (the token
leaves the address bar, a revoked token ends the screen's session), no console errors (CSP violations are)."""
from __future__ import annotations

import os

import pytest

from access import tokens
from app import create_app
from store.db import engine_for
from tests.conftest import test_settings
from tests.test_browser import wait_for
from tools import browser

pytestmark = pytest.mark.browser

if browser.available() and os.environ.get("CI") != "true":
    pytest.skip(browser.available(), allow_module_level=True)


def test_login_page_and_a_wall_screen_by_display_token(sqlite_url):
    engine = engine_for(sqlite_url)
    app = create_app(test_settings(sqlite_url))
    token_id, secret = tokens.create(engine, "display", "hall", "26506", "test")
    with browser.serve(app.server) as base, browser.chromium() as driver:
        driver.get(base + "/")
        wait_for(lambda: "/login" in driver.current_url)
        assert driver.find_element("css selector", "h1").text == "Đăng nhập"
        driver.get(f"{base}/wall?token={secret}")
        wait_for(lambda: driver.find_elements("css selector", ".wall-panel"))  # the wall: no header, its panels
        assert driver.current_url == f"{base}/wall" and "token" not in driver.current_url
        tokens.revoke(engine, token_id)
        driver.get(f"{base}/wall")
        wait_for(lambda: "/login" in driver.current_url)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors


def test_a_page_whose_session_ended_goes_to_the_login_page(sqlite_url):
    from access import accounts
    from tests.conftest import add_person, sign_in_browser

    engine = engine_for(sqlite_url)
    app = create_app(test_settings(sqlite_url))
    password = add_person(engine, "leader", "leader")
    with browser.serve(app.server) as base, browser.chromium() as driver:
        sign_in_browser(driver, base, "leader", password)
        wait_for(lambda: driver.find_elements("css selector", "path.choroplethlocation"))
        accounts.end_sessions(engine, 1)  # e.g. a logout on another device
        driver.find_element("id", "nav-sources").click()  # the router's callback: refused with 401
        wait_for(lambda: "/login?next=" in driver.current_url)
        assert driver.find_element("css selector", "h1").text == "Đăng nhập"
