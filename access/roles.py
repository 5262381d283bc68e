"""The roles and what each may do. A role says what kind of thing one may do; the scope says over which units."""
from __future__ import annotations

from dataclasses import dataclass

READ, EXPORT, SOURCES, MANAGE = "read", "export", "sources", "manage"


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[str]
    everything: bool  # the scope is the whole city whatever is stored
    label_vi: str
    label_en: str


ROLES = {r.name: r for r in (
    Role("leader", frozenset({READ, EXPORT, SOURCES}), True, "Lãnh đạo", "Leader"),
    Role("department_head", frozenset({READ}), False, "Thủ trưởng sở, ngành", "Department head"),
    Role("commune_officer", frozenset({READ}), False, "Cán bộ xã, phường", "Commune officer"),
    Role("staff", frozenset({READ, EXPORT}), False, "Chuyên viên", "Staff"),
    Role("admin", frozenset({READ, EXPORT, SOURCES, MANAGE}), True, "Quản trị", "Administrator"),
)}
# Identities that are not people: a wall screen reads its views; an API client reads and exports through the API.
DISPLAY = Role("display", frozenset({READ}), False, "Màn hình trình chiếu", "Wall display")
API = Role("api", frozenset({READ, EXPORT}), False, "Ứng dụng (API)", "API client")


def role(name: str) -> Role:
    if name not in ROLES:
        raise ValueError(f"unknown role {name!r}; roles: {', '.join(ROLES)}")
    return ROLES[name]
