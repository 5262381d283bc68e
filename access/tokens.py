"""Display tokens (wall screens) and API tokens: a high-entropy secret shown once, of which only the sha256
is stored; each bound to a scope, revocable, with an optional expiry. A display token also names the views
(path prefixes) its screen may open."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from access.identity import API, DISPLAY, Identity
from access.roles import API as API_ROLE
from access.roles import DISPLAY as DISPLAY_ROLE
from metrics.time import now
from store.schema import access_tokens

KINDS = {DISPLAY: DISPLAY_ROLE, API: API_ROLE}
WALL_VIEWS = "/wall"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(engine: Engine, kind: str, name: str, scope_text: str, created_by: str, views: str = "",
           expires_at: datetime | None = None) -> tuple[int, str]:
    """(id, secret): the secret is shown to its creator once and never stored."""
    from access.accounts import checked_scope

    if kind not in KINDS:
        raise ValueError(f"token kind is one of {', '.join(KINDS)}")
    scope = checked_scope(engine, "staff", scope_text)  # known unit codes, or '*'
    views = " ".join((views or (WALL_VIEWS if kind == DISPLAY else "")).split())
    secret = f"ioc{kind[0]}_{secrets.token_urlsafe(32)}"
    with engine.begin() as conn:
        token_id = conn.execute(insert(access_tokens).values(
            kind=kind, name=name, secret_hash=_hash(secret), scope=scope, views=views, created_by=created_by,
            created_at=now(), expires_at=expires_at)).inserted_primary_key[0]
    return token_id, secret


def _identity(row) -> Identity:
    return Identity.build(row["kind"], row["id"], row["name"], KINDS[row["kind"]], row["scope"],
                          views=tuple(row["views"].split()))


def _valid(row) -> bool:
    return row is not None and row["revoked_at"] is None and (row["expires_at"] is None or row["expires_at"] > now())


def authenticate(engine: Engine, kind: str, secret: str) -> Identity | None:
    if not secret or len(secret) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(access_tokens).where(access_tokens.c.secret_hash == _hash(secret),
                                                       access_tokens.c.kind == kind)).mappings().first()
    return _identity(row) if _valid(row) else None


def load(engine: Engine, kind: str, token_id: int) -> Identity | None:
    """The token behind a wall session, if it still stands (revocation takes effect on the next request)."""
    with engine.connect() as conn:
        row = conn.execute(select(access_tokens).where(access_tokens.c.id == token_id,
                                                       access_tokens.c.kind == kind)).mappings().first()
    return _identity(row) if _valid(row) else None


def revoke(engine: Engine, token_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(update(access_tokens).where(access_tokens.c.id == token_id,
                                                        access_tokens.c.revoked_at.is_(None))
                            .values(revoked_at=now())).rowcount == 1


def listing(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(access_tokens.c.id, access_tokens.c.kind, access_tokens.c.name, access_tokens.c.scope,
                   access_tokens.c.views, access_tokens.c.created_by, access_tokens.c.created_at,
                   access_tokens.c.expires_at, access_tokens.c.revoked_at).order_by(access_tokens.c.id)).mappings()]


