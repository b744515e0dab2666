"""infra/ deploys what the code defines: every entry point of main.py as one function with the
right trigger and entry point, scheduler jobs on existing private functions at the local
ticker's intervals, every production setting of functions/config.py, the repo's own
firestore.rules and firestore.indexes.json, and a source zip without tests or tooling.

Each check is also shown to fail on a mutated copy (a function resource or entry removed, an
extra entry point, a scheduler job on a missing function, ...). The HCL is parsed under
.venv-infra (tests/infra/hcl_dump.py); scripts/setup creates it.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.consistency import (
    INFRA_DIR,
    REPO_ROOT,
    Expected,
    Infra,
    cron_interval_seconds,
    expected_from_code,
    load_infra,
    problems,
    source_files,
)


@pytest.fixture(scope="module")
def infra() -> Infra:
    return load_infra(INFRA_DIR)


@pytest.fixture(scope="module")
def expected() -> Expected:
    return expected_from_code()


def mutated(infra: Infra) -> Infra:
    return copy.deepcopy(infra)


def test_infra_agrees_with_the_code(infra: Infra, expected: Expected) -> None:
    assert problems(infra, expected) == []


def test_every_entry_point_is_deployed_once_as_a_function(infra: Infra, expected: Expected) -> None:
    functions = infra.locals["functions"]
    assert set(functions) == set(expected.signatures)
    kinds = {"http": "http", "pubsub": "cloudevent", "firestore": "cloudevent"}
    assert {name: kinds[entry["trigger"]] for name, entry in functions.items()} == expected.signatures
    assert functions["sync_worker"]["trigger"] == "pubsub"


def test_a_removed_function_entry_is_caught(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    del broken.locals["functions"]["sync_worker"]
    assert any(p.startswith("sync_worker: entry point of main.py") for p in problems(broken, expected))


def test_a_removed_function_resource_is_caught(tmp_path: Path, expected: Expected) -> None:
    copy_dir = tmp_path / "infra"
    shutil.copytree(INFRA_DIR, copy_dir, ignore=shutil.ignore_patterns(".terraform", ".build"))
    functions_tf = copy_dir / "functions.tf"
    text = functions_tf.read_text()
    start = text.index('resource "google_cloudfunctions2_function" "function" {')
    end = text.index('resource "google_cloud_run_v2_service_iam_member" "public"')
    functions_tf.write_text(text[:start] + text[end:])

    found = problems(load_infra(copy_dir, resolve_as=INFRA_DIR), expected)
    for name in expected.signatures:
        assert f"{name}: entry point of main.py (main.SIGNATURES) has no function resource in infra/" in found


def test_an_entry_point_without_a_function_is_caught(infra: Infra, expected: Expected) -> None:
    more = copy.deepcopy(expected)
    more.signatures["on_link_write"] = "cloudevent"
    assert "on_link_write: entry point of main.py (main.SIGNATURES) has no function resource in infra/" in (
        problems(infra, more)
    )


def test_a_function_without_an_entry_point_is_caught(infra: Infra, expected: Expected) -> None:
    fewer = copy.deepcopy(expected)
    del fewer.signatures["renew_channels"]
    found = problems(infra, fewer)
    assert "renew_channels: deployed by infra but not an entry point of main.py (main.SIGNATURES)" in found


def test_a_wrong_trigger_kind_is_caught(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.locals["functions"]["sync_worker"]["trigger"] = "http"
    assert "sync_worker: main.SIGNATURES says cloudevent, infra deploys it as http" in problems(broken, expected)


def test_an_entry_point_other_than_the_name_is_caught(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.resources[("google_cloudfunctions2_function", "function")]["build_config"][0]["entry_point"] = ["main"]
    assert any("entry_point must both be each.key" in p for p in problems(broken, expected))


def test_only_the_functions_that_must_be_are_public(infra: Infra, expected: Expected) -> None:
    public = {name for name, entry in infra.locals["functions"].items() if entry["public"]}
    assert public == {"oauth_callback", "calendar_webhook", "pages", "api", "activities"}
    broken = mutated(infra)
    broken.locals["functions"]["sync_worker"]["public"] = True
    assert any(p.startswith("public functions are") for p in problems(broken, expected))


def test_a_scheduler_job_on_a_missing_function_is_caught(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.locals["scheduled_jobs"]["purge_states"] = {"schedule": "0 * * * *"}
    found = problems(broken, expected)
    assert "scheduler job purge_states: targets a function that infra does not deploy" in found


def test_a_scheduled_job_missing_from_infra_is_caught(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    del broken.locals["scheduled_jobs"]["renew_channels"]
    found = problems(broken, expected)
    assert any(p.startswith("scheduler job renew_channels: in devstack's SCHEDULED_JOBS") for p in found)


def test_schedule_defaults_are_the_local_tickers_intervals(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.variables["import_schedule"]["default"] = ["*/15 * * * *"]
    found = problems(broken, expected)
    assert any("import_events: default schedule '*/15 * * * *' runs every 900 s" in p for p in found)


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [("* * * * *", 60), ("*/5 * * * *", 300), ("0 * * * *", 3600), ("0 */6 * * *", 21600), ("0 3 * * 1", None)],
)
def test_cron_intervals(schedule: str, seconds: int | None) -> None:
    assert cron_interval_seconds(schedule) == seconds


def test_a_missing_required_setting_is_caught(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    del broken.locals["function_environment"]["CALBRIDGE_PUBLIC_BASE_URL"]
    found = problems(broken, expected)
    assert any("required setting CALBRIDGE_PUBLIC_BASE_URL (functions/config.py) is not set" in p for p in found)


def test_the_encryption_key_comes_from_secret_manager(infra: Infra, expected: Expected) -> None:
    body = infra.resources[("google_cloudfunctions2_function", "function")]
    secret_keys = [block["key"] for block in body["service_config"][0]["secret_environment_variables"]]
    assert secret_keys == [["CALBRIDGE_ENCRYPTION_KEY"]] or secret_keys == ["CALBRIDGE_ENCRYPTION_KEY"]
    broken = mutated(infra)
    broken.resources[("google_cloudfunctions2_function", "function")]["service_config"][0][
        "secret_environment_variables"
    ] = []
    assert any("required setting CALBRIDGE_ENCRYPTION_KEY" in p for p in problems(broken, expected))


def test_local_only_and_unknown_settings_are_caught(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.locals["function_environment"]["FIREBASE_AUTH_EMULATOR_HOST"] = "127.0.0.1:9099"
    broken.locals["function_environment"]["CALBRIDGE_TYPO"] = "x"
    found = problems(broken, expected)
    assert any("FIREBASE_AUTH_EMULATOR_HOST is local only" in p for p in found)
    assert any("CALBRIDGE_TYPO is not a setting of functions/config.py" in p for p in found)


def test_google_urls_are_googles_real_endpoints(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.locals["function_environment"]["GOOGLE_OAUTH_TOKEN_URL"] = "http://127.0.0.1:8089/token"
    assert any("GOOGLE_OAUTH_TOKEN_URL is 'http://127.0.0.1:8089/token'" in p for p in problems(broken, expected))


def test_rules_and_indexes_are_the_repos_files(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.locals["rules_file"] = "${path.module}/firestore.rules"
    broken.locals["indexes_config"] = '${jsondecode(file("${path.module}/indexes.json"))}'
    found = problems(broken, expected)
    assert any(p.startswith("the Firestore ruleset must deploy") for p in found)
    assert any("its for_each does not come from" in p for p in found)


def test_the_oauth_states_ttl_is_there(infra: Infra, expected: Expected) -> None:
    broken = mutated(infra)
    broken.locals["ttl_fields"] = {}
    assert "no TTL policy (google_firestore_field ttl_config) on oauth_states.expires_at" in problems(broken, expected)


def test_the_source_zip_holds_only_the_functions(infra: Infra, expected: Expected) -> None:
    files = source_files(infra)
    assert {"main.py", "requirements.txt", "functions/config.py", "functions/web/static/app.js"} <= set(files)
    assert not [path for path in files if path.split("/")[0] not in {"main.py", "requirements.txt", "functions"}]
    broken = mutated(infra)
    broken.locals["source_dirs"] = ["functions", "sandbox"]
    assert "source zip: sandbox must not be deployed" in problems(broken, expected)


def test_the_source_zip_is_enough_to_run_every_handler(infra: Infra, tmp_path: Path) -> None:
    """Only the zip's files on the path: main and every handler module import."""
    for path in source_files(infra):
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / path, target)
    code = "import main, functions.web.api_routes, functions.web.callback, functions.web.pages; print('ok')"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_the_firestore_write_trigger_is_deployed_on_activities(infra: Infra, expected: Expected) -> None:
    entry = infra.locals["functions"]["on_activity_write"]
    assert (entry["trigger"], entry["document"], entry["public"]) == ("firestore", "activities/{id}", False)
    assert infra.locals["event_types"]["firestore"] == "google.cloud.firestore.document.v1.written"
    assert expected.signatures["on_activity_write"] == "cloudevent"
    assert "TODO(issue 10)" not in (INFRA_DIR / "functions.tf").read_text()


def test_a_wrong_firestore_trigger_is_caught(infra: Infra, expected: Expected) -> None:
    elsewhere = mutated(infra)
    elsewhere.locals["functions"]["on_activity_write"]["document"] = "activities/{id}/notes/{note}"
    assert any(p.startswith("on_activity_write: watches documents") for p in problems(elsewhere, expected))
    on_pubsub = mutated(infra)
    on_pubsub.locals["functions"]["on_activity_write"]["trigger"] = "pubsub"
    assert any("must be an Eventarc trigger on Firestore" in p for p in problems(on_pubsub, expected))
    wrong_type = mutated(infra)
    wrong_type.locals["event_types"]["firestore"] = "google.cloud.firestore.document.v1.created"
    assert any(p.startswith("on_activity_write: event type") for p in problems(wrong_type, expected))
    stray = mutated(infra)
    stray.locals["functions"]["sync_worker"]["trigger"] = "firestore"
    assert "sync_worker: deployed on Firestore writes, but the code reads no such event" in problems(stray, expected)


def test_a_trigger_without_the_path_pattern_filter_or_retries_is_caught(tmp_path: Path, expected: Expected) -> None:
    copy_dir = tmp_path / "infra"
    shutil.copytree(INFRA_DIR, copy_dir, ignore=shutil.ignore_patterns(".terraform", ".build"))
    functions_tf = copy_dir / "functions.tf"
    text = functions_tf.read_text()
    assert '"match-path-pattern"' in text and '"RETRY_POLICY_RETRY"' in text
    functions_tf.write_text(text.replace('"match-path-pattern"', '"equals"').replace(
        '"RETRY_POLICY_RETRY"', '"RETRY_POLICY_DO_NOT_RETRY"'))
    found = problems(load_infra(copy_dir, resolve_as=INFRA_DIR), expected)
    assert any("operator match-path-pattern" in p for p in found)
    assert any("must be retried" in p for p in found)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on this machine")
def test_terraform_files_are_formatted() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(INFRA_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _drop_dead_letter(infra: Infra) -> None:
    del infra.resources[("terraform_data", "sync_worker_dead_letter")]


def _other_topic(infra: Infra) -> None:
    body = infra.resources[("google_cloudfunctions2_function", "function")]
    text = json.dumps(body).replace("google_pubsub_topic.sync.id", "google_pubsub_topic.other.id")
    infra.resources[("google_cloudfunctions2_function", "function")] = json.loads(text)


@pytest.mark.parametrize(("mutate", "expected_problem"), [
    (lambda i: i.locals["functions"]["calendar_webhook"].update(public=False),
     "calendar_webhook: Google's push notifications need it deployed as a public HTTP function"),
    (lambda i: i.outputs.update(webhook_url="${local.public_base_url}webhook"), "output webhook_url must be"),
    (lambda i: i.locals["function_environment"].update(CALBRIDGE_PUBLIC_BASE_URL="https://example.com"),
     "CALBRIDGE_PUBLIC_BASE_URL must be local.public_base_url"),
    (lambda i: i.locals.update(public_base_url="${var.public_base_url}"), "local.public_base_url must end in /"),
    (_drop_dead_letter, "sync_worker: no dead-letter topic attached"),
    (_other_topic, "sync_worker: the event trigger must be the sync topic"),
])
def test_the_webhook_address_and_the_workers_topic_and_dead_letter_are_checked(
    infra: Infra, expected: Expected, mutate: Any, expected_problem: str
) -> None:
    assert not any(expected_problem in p for p in problems(infra, expected))
    broken = mutated(infra)
    mutate(broken)
    assert any(expected_problem in p for p in problems(broken, expected)), problems(broken, expected)


def test_every_entry_point_has_its_trigger_kind_in_infra(infra: Infra, expected: Expected) -> None:
    import main

    deployed = {name: entry["trigger"] for name, entry in infra.locals["functions"].items()}
    assert deployed == {
        "api": "http", "pages": "http", "oauth_callback": "http", "calendar_webhook": "http", "activities": "http",
        "export_activities": "http", "import_events": "http", "renew_channels": "http",
        "sync_worker": "pubsub", "on_activity_write": "firestore",
    }
    assert set(deployed) == set(main.SIGNATURES)
    assert set(infra.locals["scheduled_jobs"]) == {"export_activities", "import_events", "renew_channels"}
