"""Shared fixtures: migrated SQLite and PostgreSQL stores, a small demo source."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from ingest.sources import SourceConfig
from store.db import engine_for
from store.migrate import upgrade
from tools.browser import sign_in as sign_in_browser  # noqa: F401 — the tests' name for it

PG_ADMIN_URL = os.environ.get("IOC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI") == "true"


def demo_source(scale: float = 0.02, start: str = "2025-07-01", name: str = "demo") -> SourceConfig:
    return SourceConfig(name=name, kind="demo", every=timedelta(minutes=1), stale_after=timedelta(minutes=3),
                        options={"scale": scale, "start": start})


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    upgrade(url)
    return url


def _pg_admin():
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — any failure to connect means "no PostgreSQL here"
        engine.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI and unreachable: {exc}")
        print(f"\nPostgreSQL tests skipped: {PG_ADMIN_URL} unreachable ({type(exc).__name__})")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    return engine


@pytest.fixture
def postgres_url():
    """A fresh database per test on the local PostgreSQL, migrated, dropped afterwards."""
    admin = _pg_admin()
    name = f"ioc_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        engine_for(url).dispose()
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request):
    """The same test on the embedded default and on the production database."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def engine(db_url):
    return engine_for(db_url)


def at(text_time: str) -> datetime:
    """A local (Asia/Ho_Chi_Minh) time from 'YYYY-MM-DD HH:MM'."""
    from metrics.time import TZ

    return datetime.fromisoformat(text_time).replace(tzinfo=TZ)


# Accounts (issue 7): every request needs an identity, so tests that use the app sign in first.
TEST_SECRET_KEY = "tests-only-secret-key-0123456789abcdef"


def test_settings(db_url: str, **env):
    """Settings for an app under test: the store at db_url and a fixed SECRET_KEY (PostgreSQL means production)."""
    from config import Settings

    return Settings.from_env({"DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET_KEY, **env})


test_settings.__test__ = False  # a helper, not a test


def add_person(engine, username: str = "admin", role: str = "admin", scope: str = "*") -> str:
    """A user of the store with a fresh password, returned."""
    from access import accounts

    password = accounts.new_password()
    accounts.add(engine, username, role, scope, password)
    return password


def sign_in(client, username: str, password: str):
    """Through the login form as a browser does (its CSRF token first); returns the POST's response."""
    import re

    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf, "next": "/"})


def signed_in_client(app, engine, username: str = "admin", role: str = "admin", scope: str = "*"):
    """A test client of `app` signed in as a new user of this role and scope."""
    client = app.server.test_client()
    response = sign_in(client, username, add_person(engine, username, role, scope))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.callbacks = app.callback_map
    return client



ACCESS_SWEEP: dict[str, int] = {}  # filled by tests/test_access_sweep.py, printed at the end of the run


def pytest_terminal_summary(terminalreporter):
    from tests.conftest import ACCESS_SWEEP as counts  # the copy the test modules import

    if counts:
        terminalreporter.write_sep("-", "access sweep")
        terminalreporter.write_line(", ".join(f"{k}: {v}" for k, v in counts.items()))
