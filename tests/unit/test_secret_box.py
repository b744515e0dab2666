import base64
import os

import pytest

from functions.core.secret_box import SecretDecryptionError, decrypt_secret, encrypt_secret

KEY = os.urandom(32)


def test_round_trip_and_fresh_nonce_each_time() -> None:
    a = encrypt_secret(KEY, "1//0refresh", "users/u1/secrets/google", "refresh_token")
    b = encrypt_secret(KEY, "1//0refresh", "users/u1/secrets/google", "refresh_token")
    assert a.startswith("v1:") and a != b and "1//0refresh" not in a
    assert decrypt_secret(KEY, a, "users/u1/secrets/google", "refresh_token") == "1//0refresh"


@pytest.mark.parametrize(
    ("key", "path", "field"),
    [
        (KEY, "users/u2/secrets/google", "refresh_token"),  # copied into another user's document
        (KEY, "users/u1/secrets/google", "access_token"),  # moved to another field
        (os.urandom(32), "users/u1/secrets/google", "refresh_token"),  # another key
    ],
)
def test_a_ciphertext_only_opens_in_its_own_place_with_its_key(key: bytes, path: str, field: str) -> None:
    sealed = encrypt_secret(KEY, "secret", "users/u1/secrets/google", "refresh_token")
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(key, sealed, path, field)


@pytest.mark.parametrize("stored", ["plain", "v1:***", "v1:" + base64.b64encode(b"short").decode(), None])
def test_malformed_values_are_refused(stored: object) -> None:
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(KEY, stored, "config/google", "client_secret")  # type: ignore[arg-type]


def test_tampering_is_detected() -> None:
    sealed = encrypt_secret(KEY, "secret", "config/google", "client_secret")
    raw = bytearray(base64.b64decode(sealed[3:]))
    raw[-1] ^= 1
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(KEY, "v1:" + base64.b64encode(bytes(raw)).decode(), "config/google", "client_secret")
