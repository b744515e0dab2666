"""schemathesis against openapi.yaml: every documented operation of every HTTP function, as nobody, as a
signed-in user (connected, with a link and an activity) and as an admin, with valid and invalid inputs.

Checks on every answer: no 5xx, the status is one the operation documents, the content type and the body
fit the documented schema (every error `{"error": {"code", "message"}}`). Bounded and deterministic
(``derandomize``); a failure names the operation and the curl command that reproduces it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.conftest import Api, SignedIn
from tests.integration.test_openapi import METHODS

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation and mode (valid, invalid) for each caller: ~35 operations x 2 modes x 3 callers stays near
# a minute. CALBRIDGE_FUZZ_EXAMPLES raises it for a longer run by hand.
EXAMPLES = int(os.environ.get("CALBRIDGE_FUZZ_EXAMPLES", "4"))


def with_known(case: Any, known: dict[str, str]) -> Any:
    """A generated valid case aimed at what exists: known path ids, the linked type, a valid time range."""
    for name in case.path_parameters or {}:
        if name in known:
            case.path_parameters[name] = known[name]
    if case.query and "start" in case.query:
        case.query.update(start="2026-12-01", end="2027-01-01")
    if isinstance(case.body, dict) and "activity_type" in case.body:
        case.body["activity_type"] = known["activity_type"]
    return case


def fuzz(operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str], examples: int,
         known: dict[str, str] | None = None) -> list[str]:
    """One operation in one mode (valid inputs aimed at ``known`` ids when given); the failures, each with the
    curl command that reproduces it."""
    failures: list[str] = []
    strategy = operation.as_strategy(generation_mode=mode)
    if known is not None:
        strategy = strategy.map(lambda case: with_known(case, known))

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        except Exception as exc:  # noqa: BLE001 - every failure is collected, then reported together
            failures.append(f"{operation.label} ({mode}): {str(exc).strip()[:800]}\n  {case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:  # no invalid input exists (an operation without parameters or body)
        assert mode == GenerationMode.NEGATIVE, operation.label
    return failures


def spec_operation_keys() -> set[tuple[str, str]]:
    """(method, path) of every operation openapi.yaml documents, read without schemathesis."""
    document = yaml.safe_load(SPEC_PATH.read_text())
    return {(m, p) for p, item in document["paths"].items() for m in item if m in METHODS}


def fuzz_every_operation(
    base_url: str, headers: dict[str, str], examples: int = EXAMPLES, known: dict[str, str] | None = None
) -> list[str]:
    """Every operation of the spec with valid and invalid inputs; the failures, one readable entry each."""
    schema = schemathesis.openapi.from_path(str(SPEC_PATH))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {f"{m.upper()} {p}" for m, p in spec_operation_keys()}
    failures: list[str] = []
    if known is not None:  # valid inputs at what exists first (still connected): edits, exports, deletes
        for operation in operations:
            if operation.label != "POST /api/disconnect":
                failures += fuzz(operation, GenerationMode.POSITIVE, base_url, headers, examples, known)
    for operation, mode in itertools.product(operations, GenerationMode):
        failures += fuzz(operation, mode, base_url, headers, examples)
    return failures


def assert_no_failures(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:30])


def test_nobody_signed_in(functions_url: str, firestore_db: Any) -> None:
    assert_no_failures(fuzz_every_operation(functions_url.rstrip("/"), {}, examples=max(1, EXAMPLES // 2)))


def test_a_connected_user_with_a_link_and_an_activity(
    functions_url: str, api: Api, connected_user: SignedIn, calendars_of: Callable[[SignedIn], dict[str, str]]
) -> None:
    user = connected_user
    link = {"calendar_id": calendars_of(user)["CRM Meetings"], "export": True, "import": True}
    assert api.call("PUT", "links/Meeting", user.token, link).status_code == 200
    activities = Api(functions_url + "activities/")
    created = activities.call("POST", "", user.token, {
        "activity_type": "Meeting", "subject": "Kick-off", "start": "2026-12-07T09:00:00+01:00",
        "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"})
    assert created.status_code == 201, created.text
    known = {"activity_id": created.json()["id"], "activity_type": "Meeting", "row_id": created.json()["id"]}
    assert_no_failures(fuzz_every_operation(functions_url.rstrip("/"), {"Authorization": f"Bearer {user.token}"},
                                            known=known))


def test_an_admin(functions_url: str, configured: SignedIn) -> None:
    assert_no_failures(fuzz_every_operation(functions_url.rstrip("/"),
                                            {"Authorization": f"Bearer {configured.token}"}))


@pytest.mark.parametrize("name", ["export_activities", "import_events", "renew_channels"])
def test_the_scheduler_jobs_never_answer_a_server_error_to_a_stray_request(
    functions_url: str, firestore_db: Any, name: str
) -> None:
    import requests

    for method in ("GET", "POST", "PUT", "DELETE"):
        for body in (b"", b"{", b'{"x": [' * 50, "\u202e\U0001f600\x00".encode()):
            answer = requests.request(method, functions_url + name, data=body, timeout=30,
                                      headers={"Content-Type": "application/json"})
            assert answer.status_code < 500, (method, body[:20], answer.status_code, answer.text)
            assert answer.headers["Content-Type"].startswith("application/json")
