"""People: the users table, argon2 password hashes, roles and scopes checked against the store's units."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update

from access.identity import PERSON, Identity
from access.roles import role as role_named
from access.scope import Scope
from metrics.time import now
from store.schema import communes, departments, users

_HASHER = PasswordHasher()  # argon2id, the library's current defaults
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10


class AccountError(ValueError):
    pass


def new_password() -> str:
    return secrets.token_urlsafe(12)


def checked_scope(engine: Engine, role_name: str, scope_text: str | None) -> str:
    """The scope to store for this role: '*' for leader and admin; known unit codes otherwise; a commune
    officer has exactly one commune."""
    role = role_named(role_name)
    if role.everything:
        return "*"
    scope = Scope.parse(scope_text)
    if scope.everything:
        if role_name == "commune_officer":
            raise AccountError("a commune officer's scope is one commune")
        return "*"
    with engine.connect() as conn:
        known_communes = {r[0] for r in conn.execute(select(communes.c.code))}
        known_departments = {r[0] for r in conn.execute(select(departments.c.code))}
    unknown = scope.units - known_communes - known_departments
    if unknown:
        raise AccountError(f"unknown unit codes: {', '.join(sorted(unknown))}")
    if not scope.units:
        raise AccountError(f"a {role_name} needs a scope (commune and/or department codes)")
    if role_name == "commune_officer" and (len(scope.units) != 1 or not scope.units <= known_communes):
        raise AccountError("a commune officer's scope is exactly one commune code")
    return scope.text()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")


def add(engine: Engine, username: str, role_name: str, scope_text: str | None, password: str) -> int:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("a username is 1 to 64 characters without spaces")
    _check_password(password)
    scope = checked_scope(engine, role_name, scope_text)
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise AccountError(f"user {username!r} exists")
        return conn.execute(insert(users).values(
            username=username, password_hash=_HASHER.hash(password), role=role_name, scope=scope, disabled=False,
            session_epoch=0, created_at=now())).inserted_primary_key[0]


def _by_name(conn, username: str):
    return conn.execute(select(users).where(users.c.username == username)).mappings().first()


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> None:
    with engine.begin() as conn:
        if not _by_name(conn, username):
            raise AccountError(f"no user {username!r}")
        conn.execute(update(users).where(users.c.username == username)
                     .values(disabled=disabled, session_epoch=users.c.session_epoch + 1))


def reset_password(engine: Engine, username: str, password: str) -> None:
    """A new password; every open session of the user ends."""
    _check_password(password)
    with engine.begin() as conn:
        if not _by_name(conn, username):
            raise AccountError(f"no user {username!r}")
        conn.execute(update(users).where(users.c.username == username).values(
            password_hash=_HASHER.hash(password), session_epoch=users.c.session_epoch + 1))


def end_sessions(engine: Engine, user_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(session_epoch=users.c.session_epoch + 1))


def listing(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(users.c.id, users.c.username, users.c.role, users.c.scope, users.c.disabled,
                   users.c.created_at, users.c.last_login_at).order_by(users.c.username)).mappings()]


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(users.c.id)).all())


def _identity(row) -> Identity:
    return Identity.build(PERSON, row["id"], row["username"], role_named(row["role"]), row["scope"],
                          epoch=row["session_epoch"])


def authenticate(engine: Engine, username: str, password: str) -> Identity | None:
    """The identity for a right name and password of an enabled user, else None."""
    with engine.connect() as conn:
        row = _by_name(conn, username)
    try:
        _HASHER.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    with engine.begin() as conn:
        values = {"last_login_at": now()}
        if _HASHER.check_needs_rehash(row["password_hash"]):
            values["password_hash"] = _HASHER.hash(password)
        conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
    return _identity(row)


def load(engine: Engine, user_id: int, epoch: int) -> Identity | None:
    """The session's person if still enabled and the session still current (no logout, reset or disable since)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None or row["disabled"] or row["session_epoch"] != epoch:
        return None
    return _identity(row)


def by_name(engine: Engine, username: str) -> Identity | None:
    """An enabled user by name (trusted-header single sign-on: the proxy has authenticated them)."""
    with engine.connect() as conn:
        row = _by_name(conn, username)
    return None if row is None or row["disabled"] else _identity(row)
