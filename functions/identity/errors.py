"""What the identity adapter refuses, typed (the web and the services map these)."""

from __future__ import annotations


class IdentityError(Exception):
    """Base of the identity adapter's failures; ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignInRefused(IdentityError):
    """The ID token is bad, expired or revoked, or its user is disabled or deleted."""


class IdentityUnavailable(IdentityError):
    """Firebase Auth could not be asked (certificates, the user lookup)."""


class NoSuchUser(IdentityError):
    """No Firebase Auth user with that uid or email."""


class InvalidUserReference(IdentityError):
    """Not a well-formed uid or email."""
