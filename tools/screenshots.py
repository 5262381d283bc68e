"""Screenshots of the running dashboard for the README, in headless Debian Chromium.

    python -m tools.screenshots --url http://127.0.0.1:8050 --out docs/screenshots
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from tools.browser import chromium


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
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with chromium(1600, 1300) as driver:
        driver.get(args.url + "/")
        wait_for(driver, "path.choroplethlocation", 168)
        time.sleep(1.5)  # let the transitions settle
        driver.save_screenshot(str(out / "overview.png"))
        driver.get(f"{args.url}/commune/{args.commune}")
        wait_for(driver, ".chart .main-svg", 3)
        time.sleep(1.5)
        driver.save_screenshot(str(out / "commune.png"))
        # the drill-down: a commune filtered by a sector and compared with the previous period, then a procedure
        driver.get(f"{args.url}/commune/{args.commune}?period=month&cmp=prev&sector=ho-tich")
        wait_for(driver, ".filter-note", 1)
        wait_for(driver, ".chart .main-svg", 3)
        time.sleep(1.5)
        driver.save_screenshot(str(out / "drill-commune-filtered.png"))
        driver.get(f"{args.url}/commune/{args.commune}/sector/ho-tich/procedure/X.HT.01?period=month&cmp=prev")
        wait_for(driver, "#procedure-daily .main-svg", 1)
        time.sleep(1.5)
        driver.save_screenshot(str(out / "drill-procedure.png"))
        driver.get(args.url + "/?lang=en&period=phase2&kpi=online_share")
        wait_for(driver, "path.choroplethlocation", 168)
        time.sleep(1.5)
        driver.save_screenshot(str(out / "overview-en.png"))
    print(f"screenshots in {out}/")


if __name__ == "__main__":
    main()
