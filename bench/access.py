"""What access control costs per request and per login, on a fresh SQLite store:

    python bench/access.py [--audit-rows 100000] [--runs 200]

argon2 hashing and verifying (one login), the identity check every request makes (the session's user
loaded and its epoch compared), a whole signed-in request through the guard next to a public one, and the
login throttle's look-up in an audit log of --audit-rows entries.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from sqlalchemy import insert

    from access import accounts, throttle
    from access.accounts import _HASHER
    from app import create_app
    from metrics.time import now
    from store.db import engine_for
    from store.migrate import upgrade
    from store.schema import audit_log
    from tests.conftest import sign_in, test_settings

    url = f"sqlite:///{tempfile.mkdtemp(prefix='ioc-bench-access-')}/ioc.db"
    upgrade(url)
    engine = engine_for(url)
    password = accounts.new_password()
    user_id = accounts.add(engine, "bench", "commune_officer", "26506", password)
    stamp = now()
    with engine.begin() as conn:  # failed logins of many names from many addresses
        conn.execute(insert(audit_log), [{"at": stamp, "actor": f"user{i % 5000}", "action": "login_failed",
                                          "target": "/login", "detail": "{}", "ip": f"10.0.{i % 250}.{i % 200}"}
                                         for i in range(args.audit_rows)])
    stored = _HASHER.hash(password)
    app = create_app(test_settings(url))
    client = app.server.test_client()
    sign_in(client, "bench", password)
    public = app.server.test_client()
    rows = [
        ("argon2id hash (a new password)", timed(lambda: _HASHER.hash(password), 20)),
        ("argon2id verify (one login)", timed(lambda: _HASHER.verify(stored, password), 20)),
        ("identity check per request (user by id, epoch)", timed(lambda: accounts.load(engine, user_id, 0), args.runs)),
        (f"login throttle look-up ({args.audit_rows:,} audit rows)",
         timed(lambda: throttle.locked_until(engine, "user17", "10.0.17.17"), args.runs)),
        ("GET /_dash-layout signed in (whole request)", timed(lambda: client.get("/_dash-layout"), args.runs)),
        ("GET /healthz, public (whole request)", timed(lambda: public.get("/healthz"), args.runs)),
    ]
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    for name, (median, best) in rows:
        print(f"{name:<52} median {median:8.3f} ms   best {best:8.3f} ms")


if __name__ == "__main__":
    main()
