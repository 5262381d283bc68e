"""First run from a fresh clone: install, migrate, first page, demo history loaded. Prints figures.

    python bench/first_run.py [--repo .] [--keep]

Clones the repository's committed HEAD into a temporary folder and does what `make run` does, step by step:
`make venv`, `cli.py db upgrade`, then `cli.py serve` (gunicorn and the scheduler, whose first pull loads
the demo history newest days first). It times the first overview page (the router's callback included,
what a person waits for), the first data on screen, the last 30 days complete, and the whole history.
Nothing here asserts: it reports.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(label: str, cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.monotonic()
    subprocess.run(cmd, cwd=cwd, env=env, check=True)
    seconds = time.monotonic() - start
    print(f"{label:<28}{seconds:8.1f} s", flush=True)
    return seconds


def first_password(log: Path, timeout: float = 120.0) -> str:
    """The first administrator's password, as `serve` prints it once on an empty store."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"first administrator: admin / (\S+)", log.read_text(errors="replace"))
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise SystemExit(f"serve printed no first administrator within {timeout:.0f} s (see {log})")


def first_page(base: str, password: str, timeout: float = 120.0) -> float:
    """Seconds until the overview's router callback answers with the map (after the server is up), signed in as
    the first administrator with the password `serve` printed, as the person at the machine does."""
    from tools.signin import signed_in

    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
            "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    start = time.monotonic()
    session = signed_in(base, "admin", password)
    session.get(base + "/", timeout=60).raise_for_status()
    answer = session.post(base + "/_dash-update-component", json=body, timeout=120)
    seconds = time.monotonic() - start
    if answer.status_code != 200 or "overview-map" not in answer.text:
        raise SystemExit(f"the overview did not answer with the map: HTTP {answer.status_code}")
    return seconds


def watch_history(db: Path, start: float, before: float) -> None:
    """Poll the store until the scheduler's first pull has finished, printing milestones."""
    import sqlite3
    from datetime import date

    days = (date.today() - date(2025, 7, 1)).days + 1
    milestones = [("first data on screen", lambda v, p, s: v >= 1),
                  ("last 30 days received", lambda v, p, s: p >= 31 / days),
                  ("whole history loaded", lambda v, p, s: s == "ok")]
    while milestones:
        time.sleep(1)
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
            try:
                version = conn.execute("SELECT version FROM data_version").fetchone()[0]
                run = conn.execute("SELECT progress, status, rows_read FROM ingest_runs WHERE window_from IS NULL "
                                   "ORDER BY id DESC LIMIT 1").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            continue
        if run is None:
            continue
        while milestones and milestones[0][1](version, run[0], run[1]):
            label = milestones.pop(0)[0]
            elapsed = time.monotonic() - start
            print(f"{label:<28}{elapsed:8.1f} s after serve ({before + elapsed:.0f} s from clone; "
                  f"{run[2]:,} rows read)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--keep", action="store_true", help="keep the clone (prints its path)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ioc-first-run-"))
    clone = work / "ioc"
    subprocess.run(["git", "clone", "--quiet", args.repo, str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VIRTUAL_ENV", "IOC_SOURCES"}}
    env["PORT"] = env.get("BENCH_PORT", "8071")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; clone: {clone}")
    total = timed("install (make venv)", ["make", "--no-print-directory", "venv"], clone, env)
    total += timed("migrate (db upgrade)", [".venv/bin/python", "cli.py", "db", "upgrade"], clone, env)
    start = time.monotonic()
    log = (clone / "var" / "serve.log").open("w")
    server = subprocess.Popen([".venv/bin/python", "cli.py", "serve"], cwd=clone, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        page = first_page(f"http://127.0.0.1:{env['PORT']}", first_password(clone / "var" / "serve.log"))
        print(f"{'server start + first page':<28}{time.monotonic() - start:8.1f} s  "
              f"(sign-in, page and the overview callback: {page:.2f} s)", flush=True)
        watch_history(clone / "var" / "ioc.db", start, total)
    finally:
        server.terminate()
        server.wait(timeout=60)
    db = clone / "var" / "ioc.db"
    print(f"database size: {db.stat().st_size / 1e6:,.0f} MB" if db.exists() else "")
    if args.keep:
        print(f"kept: {clone}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
