"""Identity of an HTTP caller: a Firebase ID token (``Authorization: Bearer ...``) verified by the
identity adapter (functions/identity/, with the revocation check); admins carry the custom claim
``admin: true``."""

from __future__ import annotations

from flask import Request

from functions.core.models import Identity
from functions.identity.errors import IdentityUnavailable, SignInRefused
from functions.web.errors import ApiError


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verify_id_token(token: str) -> Identity:
    """The identity in a valid ID token; ApiError 401 for any bad, expired or revoked token."""
    from functions.bootstrap import services

    try:
        return services().identity.verify_id_token(token)
    except SignInRefused as exc:
        raise ApiError(401, "unauthenticated", exc.message) from exc
    except IdentityUnavailable as exc:
        raise ApiError(503, "auth_unavailable", exc.message) from exc


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
