"""An identity: who is asking (a person, a wall screen, an API client), with which role and scope.

It is also Flask-Login's user object: `get_id()` names the session's identity so that the loader checks it
again on every request (a disabled user, a reset password, a logout elsewhere or a revoked token end the
session at once, although the session itself lives in a signed cookie).
"""
from __future__ import annotations

from dataclasses import dataclass

from access.roles import Role
from access.scope import EVERYTHING, Scope

PERSON, DISPLAY, API = "person", "display", "api"


@dataclass(frozen=True)
class Identity:
    kind: str
    key: int  # users.id for a person, access_tokens.id for a token
    name: str
    role: Role
    scope: Scope
    epoch: int = 0  # users.session_epoch when the session began
    views: tuple[str, ...] = ()  # path prefixes a display token may open

    @classmethod
    def build(cls, kind: str, key: int, name: str, role: Role, scope_text: str, **extra) -> "Identity":
        scope = EVERYTHING if role.everything else Scope.parse(scope_text)
        return cls(kind, key, name, role, scope, **extra)

    def can(self, permission: str) -> bool:
        return permission in self.role.permissions

    @property
    def actor(self) -> str:
        """How the audit log names this identity."""
        return self.name if self.kind == PERSON else f"{self.kind}-token:{self.key}:{self.name}"

    # Flask-Login's user protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"u:{self.key}:{self.epoch}" if self.kind == PERSON else f"{self.kind[0]}:{self.key}"
