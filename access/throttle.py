"""Login rate limiting with a temporary lockout, counted from the audit log (so it holds across workers
and restarts without a table of its own).

A name is locked for LOCKOUT after NAME_FAILURES failed logins within WINDOW since its last success; an
address is locked after ADDRESS_FAILURES failures within WINDOW (password spraying over many names).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from access import audit

WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
NAME_FAILURES = 5
ADDRESS_FAILURES = 30


def locked_until(engine: Engine, username: str, ip: str) -> datetime | None:
    """When the lockout of this name or address ends, or None when a login may be tried."""
    since = audit.window_start(WINDOW)
    success = audit.last(engine, audit.LOGIN_OK, username)
    failures, newest = audit.count_since(engine, audit.LOGIN_FAILED, max(since, success) if success else since,
                                         actor=username)
    ends = []
    if failures >= NAME_FAILURES:
        ends.append(newest + LOCKOUT)
    by_address, newest_address = audit.count_since(engine, audit.LOGIN_FAILED, since, ip=ip)
    if by_address >= ADDRESS_FAILURES:
        ends.append(newest_address + LOCKOUT)
    until = max(ends) if ends else None
    return until if until and until > audit.window_start(timedelta(0)) else None
