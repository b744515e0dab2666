"""sync_worker's CloudEvent: the task inside it, and a message that is not a task acknowledged, not retried."""

from __future__ import annotations

import base64
import logging

import pytest
from cloudevents.http import CloudEvent

from functions.core.sync_task import SyncTask, TaskError, TaskKind, encode_task
from functions.web import worker

ATTRIBUTES = {"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//pubsub.googleapis.com/x",
              "id": "m-1"}


def event(data: bytes | str) -> CloudEvent:
    payload = data if isinstance(data, str) else base64.b64encode(data).decode()
    return CloudEvent(ATTRIBUTES, {"message": {"data": payload, "messageId": "m-1"}, "subscription": "s"})


def test_the_task_is_read_from_the_pubsub_message() -> None:
    task = SyncTask(TaskKind.IMPORT, "alice", "Meeting", "push")
    assert worker.task_of(event(encode_task(task))) == task


@pytest.mark.parametrize(("data", "problem"), [
    ("%%%", "not base64"),
    (b"not json", "not UTF-8 JSON"),
    (b'{"kind": "delete-everything", "uid": "a"}', "kind"),
    (b'{"kind": "export"}', "uid"),
])
def test_a_message_that_is_not_a_task_is_named_and_acknowledged(
    data: bytes | str, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(TaskError, match=problem):
        worker.task_of(event(data))
    with caplog.at_level(logging.ERROR):
        assert worker.handle(event(data)) is None  # returns: Pub/Sub acknowledges, no retry storm
    assert problem in caplog.text


def test_an_event_without_message_data_is_refused() -> None:
    with pytest.raises(TaskError, match="no Pub/Sub message data"):
        worker.task_of(CloudEvent(ATTRIBUTES, {"subscription": "s"}))
