"""Encrypt / decrypt one field of one document with the configured key."""

from __future__ import annotations

from functions.config import get_settings
from functions.core.secret_box import decrypt_secret, encrypt_secret


def seal(value: str, document_path: str, field_name: str) -> str:
    return encrypt_secret(get_settings().encryption_key(), value, document_path, field_name)


def unseal(stored: str, document_path: str, field_name: str) -> str:
    return decrypt_secret(get_settings().encryption_key(), stored, document_path, field_name)
