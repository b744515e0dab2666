"""Sync status: a user's own, and every user's for the admin."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from functions.core.models import NEEDS_REAUTH, Identity, Link, PendingRevocation, UserRecord
from functions.services.ports import Adapters


@dataclass(frozen=True)
class UserStatus:
    user: UserRecord
    links: list[Link]


class StatusService:
    def __init__(self, adapters: Adapters) -> None:
        self.stores = adapters.stores
        self.now = adapters.now

    def me(self, identity: Identity) -> UserRecord:
        """The caller's user record, created on first sight."""
        return self.stores.users.ensure_user(identity, self.now())

    def my_status(self, identity: Identity) -> UserStatus:
        user = self.stores.users.get_user(identity.uid) or UserRecord(uid=identity.uid, email=identity.email)
        return UserStatus(user, self.stores.links.list_links(identity.uid))

    def all_status(self) -> list[UserStatus]:
        links = self.stores.links.list_all_links()
        users = sorted(self.stores.users.list_users(), key=lambda u: ((u.email or "").lower(), u.uid))
        return [UserStatus(u, links.get(u.uid, [])) for u in users]

    def pending_revocations(self, identity: Identity) -> list[PendingRevocation]:
        """Grants of the user that Google has not confirmed revoked yet (retried by the scheduled job)."""
        return self.stores.revocations.list_pending(identity.uid)


def needs_reauth_by_reason(statuses: list[UserStatus]) -> dict[str, int]:
    """How many users must reconnect, per reason (``unknown`` for those marked before reasons were kept)."""
    counts = Counter(
        s.user.connection.reauth_reason or "unknown" for s in statuses if s.user.connection.status == NEEDS_REAUTH
    )
    return dict(sorted(counts.items()))
