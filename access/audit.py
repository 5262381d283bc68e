"""The append-only audit log: logins (successful and failed), exports, token use, admin actions.

The database refuses UPDATE and DELETE on the table (triggers of migration 0006); this module only appends
and reads.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select

from metrics.time import now
from store.schema import audit_log

LOGIN_OK, LOGIN_FAILED, LOGIN_LOCKED, LOGOUT = "login", "login_failed", "login_locked", "logout"
TOKEN_USED, TOKEN_REFUSED, EXPORT, REFUSED = "token_used", "token_refused", "export", "refused"


def record(engine: Engine, actor: str, action: str, target: str = "", detail: dict | None = None,
           ip: str = "") -> None:
    with engine.begin() as conn:
        conn.execute(insert(audit_log).values(at=now(), actor=actor[:200], action=action, target=target,
                                              detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
                                              ip=(ip or "")[:64]))


def recent(engine: Engine, limit: int = 200, action: str | None = None) -> list[dict]:
    q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if action:
        q = q.where(audit_log.c.action == action)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def count_since(engine: Engine, action: str, since: datetime, actor: str | None = None,
                ip: str | None = None) -> tuple[int, datetime | None]:
    """(how many, the newest) entries of `action` since `since`, for one actor and/or address."""
    q = select(func.count(), func.max(audit_log.c.at)).where(audit_log.c.action == action, audit_log.c.at >= since)
    if actor is not None:
        q = q.where(audit_log.c.actor == actor)
    if ip is not None:
        q = q.where(audit_log.c.ip == ip)
    with engine.connect() as conn:
        count, newest = conn.execute(q).one()
    return count, newest


def last(engine: Engine, action: str, actor: str) -> datetime | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(audit_log.c.at)).where(
            audit_log.c.action == action, audit_log.c.actor == actor)).scalar()


def window_start(window: timedelta) -> datetime:
    return now() - window
