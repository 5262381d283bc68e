"""Screenshots of the running dashboard for the README, in headless Debian Chromium.

    IOC_PASSWORD=… python -m tools.screenshots --url http://127.0.0.1:8050 --out docs/screenshots [--user admin]

Every page needs a sign-in: the user (default `admin`, whose password `make run` printed once) signs in
through the login page in each browser.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from tools.browser import chromium, sign_in


def wait_for(driver, css: str, count: int, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = driver.find_elements("css selector", css)
        if len(found) >= count:
            return found
        time.sleep(0.25)
    raise TimeoutError(f"{css}: fewer than {count} after {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8050")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--commune", default="26740", help="code of the commune whose drill-down is shown")
    parser.add_argument("--user", default="admin", help="who signs in (the password from IOC_PASSWORD)")
    args = parser.parse_args()
    password = os.environ.get("IOC_PASSWORD")
    if not password:
        parser.error("set IOC_PASSWORD to the password of --user")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with chromium(1600, 1300) as driver:
        sign_in(driver, args.url, args.user, password)
        for name, path, css, count in PAGE_SHOTS:
            driver.get(args.url + path.format(commune=args.commune))
            wait_for(driver, css, count)
            time.sleep(1.5)  # let the transitions settle
            driver.save_screenshot(str(out / name))
    wall(args.url, out, args.user, password)
    print(f"screenshots in {out}/")


PAGE_SHOTS = (  # file, page URL, what to wait for: a CSS selector and how many
    ("overview.png", "/", "path.choroplethlocation", 168),
    ("commune.png", "/commune/{commune}", ".chart .main-svg", 3),
    # the drill-down: a commune filtered by a sector and compared with the previous period, then a procedure
    ("drill-commune-filtered.png", "/commune/{commune}?period=month&cmp=prev&sector=ho-tich", ".filter-note", 1),
    ("drill-procedure.png", "/commune/{commune}/sector/ho-tich/procedure/X.HT.01?period=month&cmp=prev",
     "#procedure-daily .main-svg", 1),
    ("overview-en.png", "/?lang=en&period=phase2&kpi=online_share", "path.choroplethlocation", 168),
    # the map's other views: a zoom preset on the urban core, the equal-tile map
    ("map-core.png", "/?kpi=documents_signed_share&zoom=core", "path.choroplethlocation", 168),
    ("map-tiles.png", "/?kpi=documents_signed_share&view=tiles", "#overview-tile-map .heatmaplayer", 1),
)

WALL_SHOTS = (  # file, wall URL, viewport: what an operations room's screens show
    ("wall-map.png", "/wall?views=map&rotate=0&kpi=documents_signed_share", (1920, 1080)),
    ("wall-tilemap.png", "/wall?views=tilemap&rotate=0&kpi=documents_signed_share", (1920, 1080)),
    ("wall-plan02.png", "/wall?views=plan02&rotate=0", (1920, 1080)),
    ("wall-d766.png", "/wall?views=d766&rotate=0", (1920, 1080)),
    ("wall-hotline-4k.png", "/wall?views=hotline&rotate=0", (3840, 2160)),
)


def wall(url: str, out: Path, user: str, password: str) -> None:
    """The wall's views at their screen's exact size (the viewport, not the window, is set)."""
    for name, path, (width, height) in WALL_SHOTS:
        with chromium(width, height) as driver:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
            sign_in(driver, url, user, password)
            driver.get(url + path)
            wait_for(driver, ".wall-panel.active .wall-panel-body > *", 1)
            if "map" in path:
                wait_for(driver, ".wall-panel.active .main-svg", 1)
            time.sleep(2.5)
            driver.save_screenshot(str(out / name))


if __name__ == "__main__":
    main()
