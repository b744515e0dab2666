"""The identity adapter over firebase-admin: verify ID tokens (with the revocation check), read and
list users, set the admin claim. firebase-admin is imported on first use (cold starts).

Every token is checked against its user's record (``check_revoked``): a token issued before the
user's refresh tokens were revoked (admin claim removed, signed out everywhere), or of a disabled
or deleted user, is refused at once rather than when it expires. That costs one Auth lookup per
request (``python -m bench.auth_check``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from functions.core.models import AuthUser, Identity
from functions.identity.errors import IdentityUnavailable, InvalidUserReference, NoSuchUser, SignInRefused
from functions.identity.firebase_app import firebase_app

log = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 10


def _auth_user(record: Any) -> AuthUser:
    return AuthUser(
        uid=record.uid,
        email=record.email,
        display_name=record.display_name,
        admin=(record.custom_claims or {}).get("admin") is True,
        disabled=bool(record.disabled),
    )


class FirebaseIdentity:
    """Firebase Authentication (the Auth emulator when FIREBASE_AUTH_EMULATOR_HOST is set)."""

    def verify_id_token(self, token: str) -> Identity:
        """The identity in a valid, unrevoked ID token; SignInRefused or IdentityUnavailable otherwise."""
        from firebase_admin import auth
        from firebase_admin.exceptions import FirebaseError

        try:
            claims = auth.verify_id_token(
                token, app=firebase_app(), check_revoked=True, clock_skew_seconds=CLOCK_SKEW_SECONDS
            )
        except auth.CertificateFetchError as exc:
            log.error("cannot fetch Firebase token certificates: %s", exc)
            raise IdentityUnavailable("Cannot verify sign-in right now; try again.") from exc
        except auth.RevokedIdTokenError as exc:
            raise SignInRefused("Your sign-in was revoked; sign in again.") from exc
        except auth.UserDisabledError as exc:
            raise SignInRefused("This account is disabled.") from exc
        except auth.UserNotFoundError as exc:
            raise SignInRefused("This account no longer exists.") from exc
        except (ValueError, auth.InvalidIdTokenError) as exc:
            raise SignInRefused("Your sign-in is not valid or has expired; sign in again.") from exc
        except FirebaseError as exc:  # the user lookup of the revocation check failed
            log.error("cannot check the sign-in with Firebase Auth: %s", exc)
            raise IdentityUnavailable("Cannot verify sign-in right now; try again.") from exc
        return Identity(
            uid=str(claims["uid"]),
            email=claims.get("email"),
            admin=claims.get("admin") is True,
            display_name=claims.get("name"),
        )

    def get_user(self, uid: str) -> AuthUser:
        from firebase_admin import auth

        try:
            return _auth_user(auth.get_user(uid, app=firebase_app()))
        except ValueError as exc:  # firebase-admin's own check of the uid's form
            raise InvalidUserReference(f"Not a valid uid: {exc}") from exc
        except auth.UserNotFoundError as exc:
            raise NoSuchUser(f"No user with uid {uid!r}.") from exc

    def get_user_by_email(self, email: str) -> AuthUser:
        from firebase_admin import auth

        try:
            return _auth_user(auth.get_user_by_email(email, app=firebase_app()))
        except ValueError as exc:
            raise InvalidUserReference(f"Not a valid email: {exc}") from exc
        except auth.UserNotFoundError as exc:
            raise NoSuchUser(f"No user with email {email!r}; they must sign in once first.") from exc

    def list_users(self) -> Iterator[AuthUser]:
        from firebase_admin import auth

        for record in auth.list_users(app=firebase_app()).iterate_all():
            yield _auth_user(record)

    def set_admin_claim(self, uid: str, admin: bool) -> None:
        """Grant or remove the admin claim, keeping other claims. A removal also revokes the user's
        refresh tokens, so every ID token issued before is refused at once (``check_revoked``)."""
        from firebase_admin import auth

        app = firebase_app()
        try:
            record = auth.get_user(uid, app=app)
        except ValueError as exc:
            raise InvalidUserReference(f"Not a valid uid: {exc}") from exc
        except auth.UserNotFoundError as exc:
            raise NoSuchUser(f"No user with uid {uid!r}.") from exc
        claims: dict[str, Any] = dict(record.custom_claims or {})
        if admin:
            claims["admin"] = True
        else:
            claims.pop("admin", None)
        auth.set_custom_user_claims(uid, claims or None, app=app)
        if not admin:
            auth.revoke_refresh_tokens(uid, app=app)
