"""Identity of an HTTP caller: a Firebase ID token (``Authorization: Bearer ...``) verified with
firebase-admin; admins carry the custom claim ``admin: true``.

Every token is also checked against the user's record (``check_revoked``): a token issued before
its user's refresh tokens were revoked (admin claim removed, password changed, signed out
everywhere), or belonging to a disabled or deleted user, is refused at once rather than when it
expires. That costs one Auth lookup per request (``python -m bench.auth_check``)."""

from __future__ import annotations

import logging

from flask import Request

from functions.core.models import Identity
from functions.services.firebase_app import firebase_app
from functions.web.errors import ApiError

log = logging.getLogger(__name__)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verify_id_token(token: str) -> Identity:
    """The identity in a valid ID token; ApiError 401 for any bad, expired or revoked token."""
    from firebase_admin import auth
    from firebase_admin.exceptions import FirebaseError

    try:
        claims = auth.verify_id_token(token, app=firebase_app(), check_revoked=True, clock_skew_seconds=10)
    except auth.CertificateFetchError as exc:
        log.error("cannot fetch Firebase token certificates: %s", exc)
        raise ApiError(503, "auth_unavailable", "Cannot verify sign-in right now; try again.") from exc
    except auth.RevokedIdTokenError as exc:
        raise ApiError(401, "unauthenticated", "Your sign-in was revoked; sign in again.") from exc
    except auth.UserDisabledError as exc:
        raise ApiError(401, "unauthenticated", "This account is disabled.") from exc
    except auth.UserNotFoundError as exc:
        raise ApiError(401, "unauthenticated", "This account no longer exists.") from exc
    except (ValueError, auth.InvalidIdTokenError) as exc:
        raise ApiError(401, "unauthenticated", "Your sign-in is not valid or has expired; sign in again.") from exc
    except FirebaseError as exc:  # the user lookup of the revocation check failed
        log.error("cannot check the sign-in with Firebase Auth: %s", exc)
        raise ApiError(503, "auth_unavailable", "Cannot verify sign-in right now; try again.") from exc
    return Identity(
        uid=str(claims["uid"]),
        email=claims.get("email"),
        admin=claims.get("admin") is True,
        display_name=claims.get("name"),
    )


def require_user(request: Request) -> Identity:
    """The signed-in caller; ApiError 401 ``unauthenticated`` without a valid token."""
    token = bearer_token(request)
    if token is None:
        raise ApiError(
            401, "unauthenticated", "Sign in first: an 'Authorization: Bearer <ID token>' header is required."
        )
    return verify_id_token(token)


def require_admin(request: Request) -> Identity:
    """The signed-in admin; 401 without a valid token, 403 ``forbidden`` without the admin claim."""
    identity = require_user(request)
    if not identity.admin:
        raise ApiError(403, "forbidden", "Only an admin may do this.")
    return identity
