"""The activities use cases on the in-memory stores and the sandbox in-process."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.core.activity import SyncState
from functions.core.connection_rules import INVALID_GRANT
from functions.core.models import Identity, TokenSet
from functions.services.errors import (
    ActivityBeingDeleted,
    InvalidActivityInput,
    NotAllowed,
    ReadOnlyActivity,
    UnknownActivity,
    UnknownGroup,
)
from tests.services.conftest import World

ALICE = Identity("alice", "alice@example.com", False)
BOB = Identity("bob", "bob@example.com", False)
ADMIN = Identity("admin", "admin@example.com", True)
BODY = {"activity_type": "Meeting", "subject": "Kick-off", "start": "2026-12-07T09:00:00+01:00",
        "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"}


def test_create_saves_exports_and_lists(world: World) -> None:
    created = world.services.activities.create(ALICE, BODY)
    assert created.owner_uid == "alice" and created.sync.state == SyncState.SYNCED
    listed = world.services.activities.list(ALICE, "2026-12-07", "2026-12-08")
    assert [a.id for a in listed] == [created.id]
    assert world.services.activities.list(ALICE, "2026-12-08", "2026-12-09") == []


def test_only_an_admin_acts_for_another_user(world: World) -> None:
    with pytest.raises(NotAllowed):
        world.services.activities.create(ALICE, {**BODY, "owner_uid": "bob"})
    for_bob = world.services.activities.create(ADMIN, {**BODY, "owner_uid": "bob"})
    assert for_bob.owner_uid == "bob" and for_bob.sync.state == SyncState.NOT_EXPORTED  # bob has no link
    with pytest.raises(UnknownActivity):
        world.services.activities.get(ALICE, for_bob.id)
    with pytest.raises(NotAllowed):
        world.services.activities.list(ALICE, "2026-12-07", "2026-12-08", owner_uid="bob")
    assert [a.id for a in world.services.activities.list(ADMIN, "2026-12-07", "2026-12-08", "bob")] == [for_bob.id]


def test_bad_input_names_the_field_and_an_unknown_group_is_refused(world: World) -> None:
    with pytest.raises(InvalidActivityInput) as refused:
        world.services.activities.create(ALICE, {**BODY, "subject": ""})
    assert set(refused.value.details["fields"]) == {"subject"}
    with pytest.raises(UnknownGroup):
        world.services.activities.create(ALICE, {**BODY, "group_id": "nope"})


def test_an_imported_activity_is_edited_in_google(world: World) -> None:
    from dataclasses import replace

    created = world.services.activities.create(ALICE, BODY)
    stored = world.stores.activities.get(created.id)
    world.stores.activities.save_edit(replace(stored, read_only=True), world.now())
    with pytest.raises(ReadOnlyActivity, match="Google"):
        world.services.activities.update(ALICE, created.id, {"subject": "x"})
    with pytest.raises(ReadOnlyActivity):
        world.services.activities.delete(ALICE, created.id)


def test_a_delete_google_refuses_now_is_finished_by_the_sweep(world: World) -> None:
    created = world.services.activities.create(ALICE, BODY)
    connection = world.stores.users.get_secrets("alice")
    world.stores.users.mark_needs_reauth("alice", "invalid_grant", INVALID_GRANT, world.now())
    deletion = world.services.activities.delete(ALICE, created.id)
    assert not deletion.done
    assert deletion.activity.deleted and deletion.activity.sync.state == SyncState.PENDING
    assert "Authorize and Connect" in deletion.activity.sync.last_error
    assert len(world.events(world.alice, "CRM Meetings")) == 1  # the only copy is kept until it can go
    with pytest.raises(ActivityBeingDeleted):
        world.services.activities.update(ALICE, created.id, {"subject": "x"})
    assert world.services.activities.list(ALICE, "2026-12-07", "2026-12-08") == []

    # The user reconnects; the sweep takes the activity once its retry is due, deletes the event, then it.
    tokens = TokenSet(connection.access_token, connection.access_token_expiry, connection.refresh_token,
                      connection.scopes)
    uow = world.stores.unit_of_work()
    world.stores.users.stage_connection(uow, "alice", tokens, None, "alice@example.com", None, world.now())
    uow.commit()
    assert world.services.export.sweep().activities == 0
    world.clock[0] += timedelta(minutes=2)
    assert world.services.export.sweep().deleted == 1
    assert world.events(world.alice, "CRM Meetings") == []
    assert world.stores.activities.get(created.id) is None
