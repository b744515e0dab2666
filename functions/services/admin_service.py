"""Admins are users with the custom claim ``admin: true`` (Firebase Auth)."""

from __future__ import annotations

import logging
from typing import Any

from functions.services.errors import ServiceError
from functions.services.firebase_app import firebase_app

log = logging.getLogger(__name__)


def set_admin(uid: str, admin: bool) -> dict[str, Any]:
    """Grant or revoke the admin claim (other claims kept).

    A grant reaches the user's next ID token. A removal takes effect at once: the user's refresh
    tokens are revoked, so every ID token issued before is refused (``check_revoked``) and they
    sign in again, without the claim.
    """
    from firebase_admin import auth

    app = firebase_app()
    try:
        user = auth.get_user(uid, app=app)
    except ValueError as exc:  # firebase-admin's own check of the uid's form
        raise ServiceError(f"Not a valid uid: {exc}", {"fields": {"uid": str(exc)}}, status=400,
                           code="invalid_request") from exc
    except auth.UserNotFoundError as exc:
        raise ServiceError(f"No user with uid {uid!r}.", status=404, code="unknown_user") from exc
    claims: dict[str, Any] = dict(user.custom_claims or {})
    if admin:
        claims["admin"] = True
    else:
        claims.pop("admin", None)
    auth.set_custom_user_claims(uid, claims or None, app=app)
    if not admin:
        auth.revoke_refresh_tokens(uid, app=app)
    log.info("admin claim of %s set to %s", uid, admin)
    return {"uid": uid, "admin": admin}


def set_admin_by_email(email: str, admin: bool) -> dict[str, Any]:
    """As :func:`set_admin`, finding the user by email (the admin CLI)."""
    from firebase_admin import auth

    try:
        user = auth.get_user_by_email(email, app=firebase_app())
    except ValueError as exc:
        raise ServiceError(f"Not a valid email: {exc}", status=400, code="invalid_request") from exc
    except auth.UserNotFoundError as exc:
        raise ServiceError(f"No user with email {email!r}; they must sign in once first.", status=404,
                           code="unknown_user") from exc
    return dict(set_admin(user.uid, admin), email=email)


def users_status() -> dict[str, Any]:
    """Every user the admin should see: all Firebase Auth users (name, email, admin, disabled),
    merged by uid with the sync status of those who have a user document (``all_status``).

    A user who never opened the settings has no document yet: they show as disconnected, no links.
    A document whose Auth user is gone (deleted) is still listed, marked ``deleted``.
    """
    from firebase_admin import auth

    from functions.core.models import Connection
    from functions.core.views import connection_view
    from functions.services import status_service

    synced = {row["uid"]: row for row in status_service.all_status()["users"]}
    rows: list[dict[str, Any]] = []
    for record in auth.list_users(app=firebase_app()).iterate_all():
        status = synced.pop(record.uid, None)
        rows.append({
            "uid": record.uid,
            "email": record.email or (status or {}).get("email"),
            "display_name": record.display_name,
            "admin": (record.custom_claims or {}).get("admin") is True,
            "disabled": bool(record.disabled),
            "deleted": False,
            "connection": status["connection"] if status else connection_view(Connection()),
            "links": status["links"] if status else [],
        })
    for status in synced.values():
        rows.append(dict(status, display_name=None, admin=False, disabled=False, deleted=True))
    rows.sort(key=lambda row: ((row["email"] or "").lower(), row["uid"]))
    return {"users": rows}
