"""Shared fixtures: the real emulators, the Google sandbox and the functions server.

The stack starts once per test session, only when a test asks for it (unit tests never
do), and stops at the end, also when tests fail or the run is interrupted. Data is
cleared before each test that uses it, so tests run in any order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devstack.auth_emulator import AuthEmulator
from devstack.server import LocalServer
from devstack.stack import LocalStack


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """Firestore, Pub/Sub and Auth emulators and the sandbox, with the environment exported."""
    saved = dict(os.environ)
    local = LocalStack().start()
    try:
        local.export()
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def functions_url(stack: LocalStack) -> Iterator[str]:
    """Every function of main.py served on one port, as the dev command serves them."""
    server = LocalServer().start()
    stack.export(public_base_url=server.url)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def export_on_write(stack: LocalStack, functions_url: str):  # -> devstack.firestore_trigger.FirestoreTriggerRelay
    """Writes of activities/{id} on the Firestore emulator reach on_activity_write, as Eventarc delivers them
    (the dev command always has this on). Off outside these tests: other tests count Google calls."""
    relay = stack.firestore_trigger
    assert relay is not None
    relay.wait_idle()
    relay.forward_to(functions_url)
    try:
        yield relay
    finally:
        relay.wait_idle()
        relay.forward_to(None)


@pytest.fixture
def pubsub_pump(stack: LocalStack, functions_url: str):  # -> devstack.server.PubSubPump
    """Tasks published on the sync topic reach ``sync_worker`` over HTTP as Eventarc pushes them (the dev command
    always runs this pump): the webhook's imports, the jobs' fan-out. Its own subscription, made when the test
    starts and deleted at its end, so it takes only this test's tasks. Tests that count one tick's work use
    ``run_job`` instead."""
    import uuid

    from devstack.server import PubSubPump
    from functions.config import get_settings

    pump = PubSubPump(functions_url, stack.project_id, get_settings().sync_topic,
                      subscription=f"pump-{uuid.uuid4().hex[:10]}").start()
    try:
        yield pump
    finally:
        pump.stop(delete_subscription=True)


@pytest.fixture
def run_job(functions_url: str, stack: LocalStack):  # -> Callable[[str], dict]
    """``run_job(name) -> summary``: POST a scheduled job, then run every task it published (tests/support/jobs.py)."""
    from tests.support.jobs import run_job as run

    return lambda name: run(functions_url, stack.project_id, name)


@pytest.fixture(scope="session")
def sandbox_url(stack: LocalStack) -> str:
    return stack.url("sandbox")


@pytest.fixture
def sandbox(sandbox_url: str):  # -> SandboxControl
    """The sandbox's control client, after a reset."""
    from sandbox.control import SandboxControl

    control = SandboxControl(sandbox_url)
    control.reset()
    return control


@pytest.fixture
def firestore_db(stack: LocalStack):  # -> google.cloud.firestore.Client
    """An admin Firestore client on the emulator, with the database emptied first."""
    from google.cloud import firestore

    stack.clear_firestore()
    return firestore.Client(project=stack.project_id)


@pytest.fixture
def auth_emulator(stack: LocalStack) -> AuthEmulator:
    """The Auth emulator's REST client, with every user deleted first."""
    stack.clear_auth()
    return AuthEmulator(stack.processes["auth"].address, stack.project_id)


@pytest.fixture
def make_user(auth_emulator: AuthEmulator):
    """``make_user(email, admin=False) -> (uid, id_token)``: a signed-in user on the Auth emulator."""

    def create(email: str, admin: bool = False, password: str = "test-password") -> tuple[str, str]:
        uid = auth_emulator.create_user(email, password)
        if admin:
            auth_emulator.set_claims(uid, {"admin": True})
        return uid, auth_emulator.sign_in(email, password)

    return create
