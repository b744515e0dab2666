"""Secrets at rest: AES-256-GCM, stored as ``v1:<base64(nonce || ciphertext+tag)>``.

The associated data is the document path plus the field name, so a ciphertext copied into
another document (another user's secrets) does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"
NONCE_BYTES = 12


class SecretDecryptionError(ValueError):
    """A stored secret is malformed, was encrypted with another key, or belongs elsewhere."""


def associated_data(document_path: str, field_name: str) -> bytes:
    """What binds a ciphertext to its place: ``<document path>#<field>``."""
    return f"{document_path}#{field_name}".encode()


def encrypt_secret(key: bytes, plaintext: str, document_path: str, field_name: str) -> str:
    """Encrypt ``plaintext`` for storage in ``document_path``'s ``field_name``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), associated_data(document_path, field_name))
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt_secret(key: bytes, stored: str, document_path: str, field_name: str) -> str:
    """The plaintext of a value made by :func:`encrypt_secret` for the same place."""
    if not isinstance(stored, str) or not stored.startswith(PREFIX):
        raise SecretDecryptionError(f"{document_path} {field_name}: not an encrypted value")
    try:
        raw = base64.b64decode(stored[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretDecryptionError(f"{document_path} {field_name}: not valid base64") from exc
    if len(raw) <= NONCE_BYTES:
        raise SecretDecryptionError(f"{document_path} {field_name}: too short")
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    try:
        plain = AESGCM(key).decrypt(nonce, sealed, associated_data(document_path, field_name))
    except InvalidTag as exc:
        raise SecretDecryptionError(f"{document_path} {field_name}: wrong key or wrong document") from exc
    return plain.decode()
