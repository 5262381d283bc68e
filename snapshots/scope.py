"""What a snapshot or an API call is about: a scope (the city, a commune, a department) and a period.

Everything a caller sends is checked here, strictly, before it reaches a query or a file name: a scope must
be a unit the store holds, an id must match SNAPSHOT_ID, a format must be a registered one.
"""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from access import scope as access_scope
from metrics.frame import CITY
from store.schema import communes, departments

# 12 url-safe characters. Ids made before new_id() may hold "-" and "_" (secrets.token_urlsafe(9)).
SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9_-]{12}$")
_ID_CHARACTERS = string.ascii_letters + string.digits
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
KINDS = ("city", "commune", "department")
MAX_DAYS = 5 * 366  # a longer period is a typo, not a report


def new_id() -> str:
    """A new snapshot id: 12 letters and digits (71 random bits). No "-": an id beginning with one was read as an
    option by `cli.py snapshot export ID` (one id in 64 did)."""
    return "".join(secrets.choice(_ID_CHARACTERS) for _ in range(12))


class ScopeError(ValueError):
    """A scope, period or id the caller sent is not acceptable (the message says why)."""


@dataclass(frozen=True)
class Scope:
    kind: str
    code: str  # the unit's code; "city" for the city
    name_vi: str
    name_en: str

    @property
    def unit(self) -> str:
        """The row of the KPI frame."""
        return CITY if self.kind == "city" else self.code

    @property
    def key(self) -> str:
        return "city" if self.kind == "city" else f"{self.kind}:{self.code}"

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_vi


class OutsideScope(ScopeError):
    """A scope the store knows but the asker may not read (accounts: the identity's scope)."""


def readable(kind: str, code: str) -> bool:
    """May the asker (accounts: access.scope.current()) read this scope? The city only with everything."""
    return access_scope.current().allows(None if kind == "city" else code)


def parse_scope(engine: Engine, text: str | None) -> Scope:
    """'city', 'commune:CODE', 'department:CODE' (or a bare unit code) → a Scope the store knows and the
    asker may read."""
    scope = _known_scope(engine, text)
    if not readable(scope.kind, scope.code):
        raise OutsideScope(f"{scope.key} is outside the units you may read")
    return scope


def _known_scope(engine: Engine, text: str | None) -> Scope:
    text = (text or "city").strip()
    if text == "city":
        return Scope("city", CITY, "Toàn Thành phố", "Whole city")
    kind, _, code = text.partition(":") if ":" in text else ("", "", text)
    if kind and kind not in KINDS[1:]:
        raise ScopeError(f"unknown scope kind {kind!r}: use city, commune:CODE or department:CODE")
    if not _CODE.match(code):
        raise ScopeError(f"malformed unit code {code!r}")
    with engine.connect() as conn:
        if kind in ("", "commune"):
            row = conn.execute(select(communes.c.full_name, communes.c.name_en).where(communes.c.code == code)).first()
            if row is not None:
                return Scope("commune", code, row.full_name, row.name_en or row.full_name)
        if kind in ("", "department"):
            row = conn.execute(select(departments.c.name, departments.c.name_en)
                               .where(departments.c.code == code)).first()
            if row is not None:
                return Scope("department", code, row.name, row.name_en or row.name)
    raise ScopeError(f"no {kind or 'unit'} with the code {code!r} in the store")


def parse_period(start: str | date | None, end: str | date | None) -> tuple[date, date]:
    """Two ISO dates (YYYY-MM-DD), first ≤ last, at most MAX_DAYS apart."""
    try:
        first = start if isinstance(start, date) else date.fromisoformat(str(start))
        last = end if isinstance(end, date) else date.fromisoformat(str(end))
    except ValueError:
        raise ScopeError("dates must be YYYY-MM-DD (from and to)") from None
    if last < first:
        raise ScopeError(f"the period ends ({last}) before it starts ({first})")
    if (last - first).days > MAX_DAYS:
        raise ScopeError(f"a period of at most {MAX_DAYS} days")
    return first, last


def check_id(snapshot_id: str) -> str:
    if not isinstance(snapshot_id, str) or not SNAPSHOT_ID.match(snapshot_id):
        raise ScopeError("malformed snapshot id")
    return snapshot_id
