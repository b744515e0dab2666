"""Users and ID tokens on the Firebase Auth emulator, through its REST API."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class AuthEmulator:
    """Client for the Auth emulator at ``address`` (host:port) of ``project_id``."""

    address: str
    project_id: str

    @property
    def _toolkit(self) -> str:
        return f"http://{self.address}/identitytoolkit.googleapis.com/v1"

    def create_user(self, email: str, password: str, display_name: str | None = None) -> str:
        """Create a user and answer its uid."""
        body = {"email": email, "password": password, "returnSecureToken": True}
        if display_name:
            body["displayName"] = display_name
        answer = requests.post(f"{self._toolkit}/accounts:signUp?key=any", json=body, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["localId"])

    def sign_in(self, email: str, password: str) -> str:
        """A fresh ID token for the user (carries the custom claims set so far)."""
        body = {"email": email, "password": password, "returnSecureToken": True}
        answer = requests.post(f"{self._toolkit}/accounts:signInWithPassword?key=any", json=body, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["idToken"])

    def set_claims(self, uid: str, claims: dict[str, object]) -> None:
        """Set custom claims as an admin would (the emulator accepts the ``owner`` bearer)."""
        body = {"localId": uid, "customAttributes": json.dumps(claims)}
        answer = requests.post(
            f"{self._toolkit}/projects/{self.project_id}/accounts:update",
            json=body,
            headers={"Authorization": "Bearer owner"},
            timeout=10,
        )
        answer.raise_for_status()
