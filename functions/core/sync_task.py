"""One unit of per-user sync work, as carried by a Pub/Sub message (pure: no I/O).

The scheduled jobs, the webhook and the page's *Resync now* publish tasks; ``sync_worker``
decodes one and runs it with bounded work, publishing a continuation when work remains.
A task names work to look at, not state to apply, so a message delivered twice does no harm.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

MAX_TASK_BYTES = 4096  # far above any real task; a bigger message is refused, not parsed


class TaskKind(StrEnum):
    EXPORT = "export"  # export the user's pending activities
    IMPORT = "import"  # incremental import of one link's calendar (activity_type), or all the user's links
    RESYNC = "resync"  # full import scan + re-check of the exported events of one link (issue 13)


class TaskError(ValueError):
    """A message that is not a sync task; the text names the problem."""


@dataclass(frozen=True)
class SyncTask:
    kind: TaskKind
    uid: str
    activity_type: str | None = None  # one link; None = every link of the user that the kind concerns
    reason: str = ""  # scheduled, push, continuation, resync, ... (for logs; a push IMPORT waits for quiet first)
    generation: int = 0  # how many continuations led here (bounds a runaway chain)
    options: tuple[tuple[str, str], ...] = ()  # kind-specific flags, e.g. (("recreate_deleted", "true"),)

    def option(self, name: str, default: str | None = None) -> str | None:
        return dict(self.options).get(name, default)

    def continuation(self) -> SyncTask:
        return SyncTask(self.kind, self.uid, self.activity_type, "continuation", self.generation + 1, self.options)


def encode_task(task: SyncTask) -> bytes:
    data: dict[str, Any] = asdict(task)
    data["kind"] = str(task.kind)
    data["options"] = dict(task.options)
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def decode_task(raw: bytes) -> SyncTask:
    if len(raw) > MAX_TASK_BYTES:
        raise TaskError(f"sync task is {len(raw)} bytes; at most {MAX_TASK_BYTES} are accepted")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaskError(f"sync task is not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TaskError("sync task must be a JSON object")
    try:
        kind = TaskKind(data.get("kind"))
    except ValueError:
        raise TaskError(f"sync task kind {data.get('kind')!r} is not one of {[str(k) for k in TaskKind]}") from None
    uid = data.get("uid")
    if not isinstance(uid, str) or not uid or len(uid) > 128:
        raise TaskError("sync task uid must be a non-empty string of at most 128 characters")
    activity_type = data.get("activity_type")
    if activity_type is not None and (not isinstance(activity_type, str) or not activity_type):
        raise TaskError("sync task activity_type must be a non-empty string or null")
    reason = data.get("reason", "")
    generation = data.get("generation", 0)
    options = data.get("options", {})
    if not isinstance(reason, str):
        raise TaskError("sync task reason must be a string")
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        raise TaskError("sync task generation must be a non-negative integer")
    if not isinstance(options, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in options.items()):
        raise TaskError("sync task options must be an object of strings")
    return SyncTask(kind, uid, activity_type, reason, generation, tuple(sorted(options.items())))
