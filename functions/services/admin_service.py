"""Admins are users with the custom claim ``admin: true`` (Firebase Auth): granting and removing it,
and the admin's list of every user with their sync status."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from functions.core.models import AuthUser, UserRecord
from functions.identity.errors import InvalidUserReference, NoSuchUser
from functions.services.errors import InvalidInput, UnknownUser, field_errors
from functions.services.ports import Adapters, IdentityPort
from functions.services.status_service import StatusService, UserStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdminUserRow:
    """One row of the admin's users table: the Auth user (None if deleted) and their sync status."""

    uid: str
    auth: AuthUser | None
    status: UserStatus

    @property
    def deleted(self) -> bool:
        return self.auth is None


class AdminService:
    def __init__(self, adapters: Adapters, status: StatusService) -> None:
        self._identity = adapters.identity
        self.status = status

    @property
    def identity(self) -> IdentityPort:
        if self._identity is None:
            raise RuntimeError("the admin use cases need an identity adapter (Adapters.identity)")
        return self._identity

    def set_admin(self, uid: str, admin: bool) -> AuthUser:
        """Grant or remove the admin claim. A grant reaches the user's next ID token; a removal takes
        effect at once (their refresh tokens are revoked, so every earlier ID token is refused)."""
        try:
            self.identity.set_admin_claim(uid, admin)
            user = self.identity.get_user(uid)
        except InvalidUserReference as exc:
            raise InvalidInput(exc.message, field_errors({"uid": exc.message})) from exc
        except NoSuchUser as exc:
            raise UnknownUser(exc.message) from exc
        log.info("admin claim of %s set to %s", uid, admin)
        return user

    def set_admin_by_email(self, email: str, admin: bool) -> AuthUser:
        """As :meth:`set_admin`, finding the user by email (the admin CLI)."""
        try:
            user = self.identity.get_user_by_email(email)
        except InvalidUserReference as exc:
            raise InvalidInput(exc.message, field_errors({"email": exc.message})) from exc
        except NoSuchUser as exc:
            raise UnknownUser(exc.message) from exc
        return self.set_admin(user.uid, admin)

    def users(self) -> list[AdminUserRow]:
        """Every Firebase Auth user merged by uid with their sync status. A user who never opened the
        settings has no document yet (disconnected, no links); a document whose Auth user is gone
        is still listed, as deleted."""
        synced = {row.user.uid: row for row in self.status.all_status()}
        rows = [
            AdminUserRow(user.uid, user, synced.pop(user.uid, None) or UserStatus(UserRecord(uid=user.uid), []))
            for user in self.identity.list_users()
        ]
        rows += [AdminUserRow(uid, None, status) for uid, status in synced.items()]
        rows.sort(key=lambda row: ((row_email(row) or "").lower(), row.uid))
        return rows


def row_email(row: AdminUserRow) -> str | None:
    return (row.auth.email if row.auth else None) or row.status.user.email
