"""PKCE (RFC 7636) with the S256 method."""

from __future__ import annotations

import base64
import hashlib
import secrets


def new_code_verifier() -> str:
    """A fresh verifier: 64 characters from the unreserved set (43..128 allowed)."""
    return secrets.token_urlsafe(48)


def code_challenge_s256(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
