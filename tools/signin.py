"""Benchmarks sign in as people and screens do: a person in the store, then the login form; a wall screen
through its display token. Every page and callback needs an identity (access/guard.py)."""
from __future__ import annotations

import re

import requests
from sqlalchemy import Engine


def bench_person(engine: Engine, username: str = "bench", role: str = "leader", scope: str = "*") -> str:
    """A person for a benchmark run, created or given a new password; the password is returned."""
    from access import accounts

    password = accounts.new_password()
    if accounts.by_name(engine, username) is None:
        accounts.add(engine, username, role, scope, password)
    else:
        accounts.reset_password(engine, username, password)
    return password


def bench_screen(engine: Engine, name: str = "bench wall") -> str:
    """A display token for wall screens; its secret is returned."""
    from access import tokens

    return tokens.create(engine, "display", name, "*", "bench")[1]


def signed_in(base: str, username: str, password: str, session: requests.Session | None = None) -> requests.Session:
    """A session past the login form (its CSRF token first, as a browser sends it)."""
    session = session or requests.Session()
    page = session.get(base + "/login", timeout=60).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = session.post(base + "/login", data={"username": username, "password": password, "csrf": csrf,
                                                  "next": "/"}, allow_redirects=False, timeout=60)
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise RuntimeError(f"sign-in of {username!r} refused: HTTP {answer.status_code}")
    return session


def screen(base: str, secret: str, search: str = "", session: requests.Session | None = None) -> requests.Session:
    """A session of a wall screen: the token URL once, then its cookie."""
    session = session or requests.Session()
    answer = session.get(f"{base}/wall?token={secret}" + (f"&{search.lstrip('?')}" if search else ""), timeout=60)
    if answer.status_code != 200:
        raise RuntimeError(f"display token refused: HTTP {answer.status_code}")
    return session
