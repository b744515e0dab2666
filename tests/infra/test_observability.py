"""The functions' log lines (functions/observability.py), read the way Cloud Logging reads them:
JSON on stdout with severity, message and the run's fields, one summary per run, no secret.

Each scenario runs in a fresh interpreter that imports main (which installs the logging), so
the root logger starts as it does on Cloud Functions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from functions.observability import REDACTED, redact
from tests.infra.consistency import REPO_ROOT

ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiJ1c2VyLTEiLCJhZG1pbiI6dHJ1ZX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
ACCESS_TOKEN = "ya29.a0AfB_byDsecretAccessToken123"
REFRESH_TOKEN = "1//0gSecretRefreshTokenValue-abcdef"
SEALED = "v1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" * 2
SECRETS = [ID_TOKEN, ACCESS_TOKEN, REFRESH_TOKEN, SEALED, "hunter2", "the-client-secret", "pkce-verifier-value"]

SYNC_RUN = f"""
import logging
import main  # installs the structured logging, as on Cloud Functions
from functions.observability import sync_run, log_needs_reauth

log = logging.getLogger("functions.services.export_service")
with sync_run("export", uid="user-1", calendar="primary") as run:
    log.info("exporting %d activities", 3, extra={{"counts": {{"pending": 3}}}})
    log.info("Google answered", extra={{
        "access_token": "{ACCESS_TOKEN}", "client_secret": "the-client-secret", "password": "hunter2",
        "code_verifier": "pkce-verifier-value", "headers": {{"Authorization": "Bearer {ID_TOKEN}"}},
        "note": "refresh {REFRESH_TOKEN} stored as {SEALED}",
    }})
    log.warning("retrying with Authorization: Bearer {ID_TOKEN}")
    run.count("exported", 3)
    run.count("skipped")
log_needs_reauth("user-2", "invalid_grant")
try:
    with sync_run("import", uid="user-3") as run:
        run.count("imported", 1)
        raise RuntimeError("token endpoint said no to {REFRESH_TOKEN}")
except RuntimeError:
    pass
"""


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if key != "CALBRIDGE_LOG_FORMAT"}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.fixture(scope="module")
def json_lines() -> list[dict[str, Any]]:
    result = run_python(SYNC_RUN)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, "no log line on stdout"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_every_line_has_severity_message_and_the_runs_fields(json_lines: list[dict[str, Any]]) -> None:
    for line in json_lines:
        assert line["severity"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        assert isinstance(line["message"], str) and line["message"]
        assert line["time"].endswith("Z")
    export_lines = [line for line in json_lines if line.get("kind") == "export"]
    assert len(export_lines) == 4  # three lines inside the run and its summary
    assert len({line["run_id"] for line in export_lines}) == 1
    assert all(line["uid"] == "user-1" and line["calendar"] == "primary" for line in export_lines)
    assert export_lines[0]["counts"] == {"pending": 3}


def test_one_summary_line_per_run(json_lines: list[dict[str, Any]]) -> None:
    summaries = [line for line in json_lines if line.get("event") == "sync_run_summary"]
    assert [summary["kind"] for summary in summaries] == ["export", "import"]
    export, failed = summaries
    assert export["severity"] == "INFO"
    assert export["counts"] == {"exported": 3, "skipped": 1}
    assert isinstance(export["duration_ms"], int) and export["duration_ms"] >= 0
    assert export["message"].startswith("export run of user-1 on primary finished (exported 3, skipped 1)")
    assert failed["severity"] == "ERROR"  # what the calbridge/sync_errors metric counts
    assert failed["uid"] == "user-3" and failed["counts"] == {"imported": 1}
    assert failed["error"].startswith("RuntimeError: token endpoint said no to")


def test_needs_reauth_has_its_event(json_lines: list[dict[str, Any]]) -> None:
    [line] = [line for line in json_lines if line.get("event") == "needs_reauth"]
    assert (line["severity"], line["uid"]) == ("WARNING", "user-2")
    assert "needs to reconnect" in line["message"]


def test_no_secret_reaches_the_logs(json_lines: list[dict[str, Any]]) -> None:
    text = json.dumps(json_lines)
    for secret in SECRETS:
        assert secret not in text
    [answered] = [line for line in json_lines if line["message"] == "Google answered"]
    for name in ("access_token", "client_secret", "password", "code_verifier"):
        assert answered[name] == REDACTED
    assert answered["headers"] == {"Authorization": REDACTED}
    assert answered["note"] == f"refresh {REDACTED} stored as {REDACTED}"
    [retry] = [line for line in json_lines if line["message"].startswith("retrying")]
    assert retry["message"] == f"retrying with Authorization: Bearer {REDACTED}"


def test_text_format_for_people() -> None:
    result = run_python(SYNC_RUN, CALBRIDGE_LOG_FORMAT="text")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = next(line for line in lines if "export run of user-1" in line)
    assert " INFO    calbridge.run: export run of user-1 on primary finished (exported 3, skipped 1)" in summary
    assert "run_id=" in summary and "uid=user-1" in summary and '"exported": 3' in summary
    assert not any(line.startswith("{") for line in lines)
    for secret in SECRETS:
        assert secret not in result.stdout


def test_a_host_that_configured_logging_keeps_its_handlers() -> None:
    code = """
    import logging, sys
    logging.basicConfig(stream=sys.stdout, format="HOST %(message)s", level=logging.INFO)
    import main
    logging.getLogger("functions.x").info("hello")
    """
    assert run_python(code).stdout.strip() == "HOST hello"
    as_json = run_python(code, CALBRIDGE_LOG_FORMAT="json").stdout.strip()
    assert json.loads(as_json)["message"] == "hello"


def test_the_module_imports_only_the_standard_library() -> None:
    code = """
    import sys
    before = set(sys.modules)
    import functions.observability
    print("\\n".join(sorted(set(sys.modules) - before)))
    """
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    new = [name for name in result.stdout.split() if not name.startswith("functions")]
    assert [name for name in new if name.split(".")[0] not in sys.stdlib_module_names] == []


@pytest.mark.parametrize(
    ("value", "name", "expected"),
    [
        ("plain words", None, "plain words"),
        ("anything", "refresh_token", REDACTED),
        ("anything", "X-Goog-Channel-Token", REDACTED),
        ("anything", "Authorization", REDACTED),
        ({"client_secret": "s", "client_id": "id"}, None, {"client_secret": REDACTED, "client_id": "id"}),
        ([f"bearer {ID_TOKEN}"], None, [f"bearer {REDACTED}"]),
        (f"token={ACCESS_TOKEN}&x=1", None, f"token={REDACTED}&x=1"),
        (42, "count", 42),
    ],
)
def test_redact(value: Any, name: str | None, expected: Any) -> None:
    assert redact(value, name) == expected
