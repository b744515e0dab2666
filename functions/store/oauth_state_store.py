"""``oauth_states/{state}``: created by the connect start, consumed once by the callback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.core.models import OAuthState
from functions.core.oauth_state_rules import state_refusal, well_formed_state
from functions.store.errors import AlreadyExists
from functions.store.firestore_client import transactional

COLLECTION = "oauth_states"


def _to_doc(state: OAuthState) -> dict[str, Any]:
    return {
        "uid": state.uid,
        "code_verifier": state.code_verifier,
        "nonce_hash": state.nonce_hash,
        "created_at": state.created_at,
        "expires_at": state.expires_at,
        "used": state.used,
    }


def _from_doc(state: str, data: dict[str, Any]) -> OAuthState:
    return OAuthState(
        state=state,
        uid=str(data.get("uid")),
        code_verifier=str(data.get("code_verifier")),
        nonce_hash=str(data.get("nonce_hash") or ""),
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        used=bool(data.get("used", False)),
    )


class FirestoreOAuthStateStore:
    """Connect states in Firestore; consumed in a transaction."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def create_state(self, state: OAuthState) -> None:
        from google.api_core import exceptions

        try:
            self.client.collection(COLLECTION).document(state.state).create(_to_doc(state))
        except exceptions.AlreadyExists as exc:
            raise AlreadyExists(f"{COLLECTION}/{state.state} exists") from exc

    def consume_state(self, state_value: str, now: datetime) -> tuple[OAuthState | None, str | None]:
        """Mark the state used, once: ``(state, None)`` the first time, ``(state?, reason)`` otherwise."""
        if not well_formed_state(state_value):
            return None, state_refusal(None, now)
        client = self.client
        ref = client.collection(COLLECTION).document(state_value)
        transaction = client.transaction()

        @transactional
        def run(tx: Any) -> tuple[OAuthState | None, str | None]:
            snapshot = ref.get(transaction=tx)
            state = _from_doc(state_value, snapshot.to_dict() or {}) if snapshot.exists else None
            refusal = state_refusal(state, now)
            if state is not None and not state.used:
                tx.update(ref, {"used": True, "used_at": now})
            return state, refusal

        return run(transaction)
