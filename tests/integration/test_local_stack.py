"""The fixtures run the official emulators, not mocks: each proves it with behaviour no mock has."""

from __future__ import annotations

import base64
import json
import uuid

import requests

from devstack.stack import LocalStack


def _unsigned_id_token(uid: str) -> str:
    """An ID token as the Firestore emulator accepts it (``alg: none``)."""

    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"sub": uid, "user_id": uid, "aud": "demo-calbridge", "iss": "https://securetoken.google.com/demo-calbridge"}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def _read_as(stack: LocalStack, path: str, token: str | None) -> requests.Response:
    address = stack.processes["firestore"].address
    url = f"http://{address}/v1/projects/{stack.project_id}/databases/(default)/documents/{path}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, headers=headers, timeout=10)


def test_firestore_emulator_enforces_security_rules(stack: LocalStack, firestore_db) -> None:
    firestore_db.document("users/alice").set({"email": "alice@example.com"})

    own = _read_as(stack, "users/alice", _unsigned_id_token("alice"))
    other = _read_as(stack, "users/alice", _unsigned_id_token("bob"))
    anonymous = _read_as(stack, "users/alice", None)

    assert own.status_code == 200
    assert own.json()["fields"]["email"]["stringValue"] == "alice@example.com"
    assert other.status_code == 403
    assert anonymous.status_code == 403


def test_firestore_data_is_cleared_between_tests(firestore_db) -> None:
    assert list(firestore_db.collection("users").stream()) == []
    firestore_db.document("users/leftover").set({"x": 1})


def test_firestore_data_is_cleared_between_tests_again(firestore_db) -> None:
    assert list(firestore_db.collection("users").stream()) == []


def test_pubsub_emulator_delivers_a_published_message(stack: LocalStack) -> None:
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    suffix = uuid.uuid4().hex[:8]
    topic = publisher.topic_path(stack.project_id, f"test-topic-{suffix}")
    subscription = subscriber.subscription_path(stack.project_id, f"test-sub-{suffix}")
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)

    publisher.publish(topic, b'{"uid": "alice"}', kind="export").result(timeout=30)
    response = subscriber.pull(subscription=subscription, max_messages=1, timeout=30)

    assert len(response.received_messages) == 1
    message = response.received_messages[0].message
    assert json.loads(message.data) == {"uid": "alice"}
    assert message.attributes["kind"] == "export"


def test_auth_emulator_issues_tokens_that_firebase_admin_verifies(auth_emulator) -> None:
    import firebase_admin
    from firebase_admin import auth

    uid = auth_emulator.create_user("carol@example.com", "secret-pass")
    auth_emulator.set_claims(uid, {"admin": True})
    token = auth_emulator.sign_in("carol@example.com", "secret-pass")

    app = firebase_admin.initialize_app(options={"projectId": "demo-calbridge"}, name=f"t-{uuid.uuid4().hex}")
    try:
        claims = auth.verify_id_token(token, app=app)
        assert claims["uid"] == uid
        assert claims["admin"] is True
    finally:
        firebase_admin.delete_app(app)
