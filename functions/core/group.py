"""``groups/{id}``: a named set of users (admin-managed); a group activity reaches every member's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    member_uids: tuple[str, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None
