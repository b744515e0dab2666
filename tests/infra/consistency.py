"""Checks the Terraform in infra/ against the code: entry points, triggers, scheduler jobs,
settings, the rules and indexes files, and what goes into the source zip.

``load_infra(folder)`` parses the ``*.tf`` files (python-hcl2, in ``.venv-infra``, through
``hcl_dump.py``) into an :class:`Infra`; ``problems(infra, expected)`` lists every disagreement
as a sentence, so a test can show them all and a mutated copy can prove each is caught.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
INFRA_PYTHON = REPO_ROOT / ".venv-infra" / "bin" / "python"
HCL_DUMP = Path(__file__).resolve().parent / "hcl_dump.py"

FUNCTION_TYPE = "google_cloudfunctions2_function"
SCHEDULER_TYPE = "google_cloud_scheduler_job"
# local.functions' trigger -> main.SIGNATURES' kind
TRIGGER_KINDS = {"http": "http", "pubsub": "cloudevent", "firestore": "cloudevent"}
# What the source zip holds (its root files and folders); never any of MUST_EXCLUDE.
DEPLOYED_ENTRIES = {"main.py", "requirements.txt", "functions"}
MUST_EXCLUDE = {"tests", "sandbox", "devstack", "node_modules", ".venv", ".venv-infra", "infra", "bench"}


class InfraUnavailable(RuntimeError):
    """The HCL parser (``.venv-infra``) is missing: run scripts/setup."""


@dataclass
class Infra:
    """The parsed Terraform of one folder: locals, variables and resources by (type, name)."""

    folder: Path
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)  # name -> value expression


@dataclass
class Expected:
    """What the code says: main.SIGNATURES, config.SETTINGS, the local ticker, the public functions."""

    signatures: dict[str, str]
    settings: dict[str, str | None]  # name -> default (None: required)
    local_only_settings: set[str]
    scheduled_jobs: dict[str, float]  # devstack.server.SCHEDULED_JOBS: name -> seconds
    public_functions: set[str]
    sync_topic: str
    extra_env: set[str] = field(default_factory=set)  # variables read outside config.py
    # Firestore-triggered functions: name -> (event type, document path pattern), from the code that reads them
    firestore_triggers: dict[str, tuple[str, str]] = field(default_factory=dict)
    webhook_function: str = "calendar_webhook"  # bootstrap.WEBHOOK_FUNCTION: the push address's last part


def dump_hcl(folder: Path) -> dict[str, Any]:
    """``{file name: python-hcl2 parse}`` of the folder's ``*.tf``, parsed under ``.venv-infra``."""
    if not INFRA_PYTHON.exists():
        raise InfraUnavailable(f"{INFRA_PYTHON} is missing: run scripts/setup (it creates .venv-infra).")
    result = subprocess.run(
        [str(INFRA_PYTHON), str(HCL_DUMP), str(folder)], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"parsing {folder} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def build_infra(folder: Path, parsed_files: dict[str, Any]) -> Infra:
    infra = Infra(folder=Path(folder))
    for parsed in parsed_files.values():
        for block in parsed.get("locals", []):
            for name, value in block.items():
                if not name.startswith("__"):
                    infra.locals[name] = _unwrap(value)
        for block in parsed.get("variable", []):
            for name, body in block.items():
                infra.variables[name] = body
        for block in parsed.get("output", []):
            for name, body in block.items():
                infra.outputs[name] = _unwrap(body.get("value"))
        for block in parsed.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    infra.resources[(rtype, name)] = body
    return infra


def load_infra(folder: Path = INFRA_DIR, resolve_as: Path | None = None) -> Infra:
    """Parse ``folder``; ``resolve_as`` places a copy where ``${path.module}`` paths resolve (infra/)."""
    return build_infra(resolve_as or folder, dump_hcl(folder))


# --- small helpers over python-hcl2's shapes --------------------------------------------------


def _unwrap(value: Any) -> Any:
    """python-hcl2 wraps each attribute value, and each single block, in a one-element list."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def attr(body: dict[str, Any], *path: str) -> Any:
    """``attr(resource, "build_config", "entry_point")``: a nested attribute, blocks unwrapped."""
    value: Any = body
    for key in path:
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict) or key not in value:
            return None
        value = _unwrap(value[key])
    return value


LOCAL_REF = re.compile(r"^\$\{local\.(\w+)\}$")
VAR_REF = re.compile(r"^\$\{var\.(\w+)\}$")


def resources_of(infra: Infra, rtype: str) -> dict[str, dict[str, Any]]:
    return {name: body for (kind, name), body in infra.resources.items() if kind == rtype}


def for_each_local(body: dict[str, Any]) -> str | None:
    """The local a resource iterates over (``for_each = local.NAME``), else None."""
    match = LOCAL_REF.match(str(attr(body, "for_each") or ""))
    return match.group(1) if match else None


def variable_default(infra: Infra, expression: Any) -> Any:
    """The default of ``${var.NAME}``, or the literal itself."""
    match = VAR_REF.match(str(expression))
    if not match:
        return expression
    return _unwrap(infra.variables.get(match.group(1), {}).get("default"))


def resolve_module_path(infra: Infra, expression: str) -> Path | None:
    """``${path.module}/../x`` -> the file it names (None if the expression is anything else)."""
    text = str(expression)
    if not text.startswith("${path.module}/"):
        return None
    return Path(os.path.normpath(infra.folder / text[len("${path.module}/"):]))


def cron_interval_seconds(schedule: str) -> int | None:
    """Seconds between runs of a simple cron schedule (every N minutes or hours), else None."""
    parts = str(schedule).split()
    if len(parts) != 5 or parts[2:] != ["*", "*", "*"]:
        return None
    minute, hour = parts[0], parts[1]
    if hour == "*":
        if minute == "*":
            return 60
        if match := re.fullmatch(r"\*/(\d+)", minute):
            return int(match.group(1)) * 60
        if minute.isdigit():
            return 3600
    if minute.isdigit() and (match := re.fullmatch(r"\*/(\d+)", hour)):
        return int(match.group(1)) * 3600
    return None


# --- the checks --------------------------------------------------------------------------------


@dataclass
class DeployedFunction:
    name: str
    kind: str
    entry_point: str
    public: bool
    resource: str


def deployed_functions(infra: Infra, problems: list[str]) -> list[DeployedFunction]:
    """Every function the Terraform deploys: one per entry of a for_each map, or one resource."""
    found: list[DeployedFunction] = []
    for rname, body in resources_of(infra, FUNCTION_TYPE).items():
        address = f"{FUNCTION_TYPE}.{rname}"
        runtime = attr(body, "build_config", "runtime")
        if runtime != "python311":
            problems.append(f"{address}: runtime is {runtime!r}, not python311")
        entry_point = str(attr(body, "build_config", "entry_point"))
        map_name = for_each_local(body)
        if map_name is None:
            name = str(attr(body, "name"))
            kind = "cloudevent" if attr(body, "event_trigger") is not None else "http"
            found.append(DeployedFunction(name, kind, entry_point, False, address))
            continue
        entries = infra.locals.get(map_name)
        if not isinstance(entries, dict):
            problems.append(f"{address}: for_each local.{map_name} is not a map of functions")
            continue
        if entry_point != "${each.key}" or str(attr(body, "name")) != "${each.key}":
            problems.append(f"{address}: name and build_config.entry_point must both be each.key")
        for name, entry in entries.items():
            trigger = entry.get("trigger")
            if trigger not in TRIGGER_KINDS:
                problems.append(f"local.{map_name}.{name}: unknown trigger {trigger!r}")
                continue
            public = entry.get("public") is True
            found.append(DeployedFunction(name, TRIGGER_KINDS[trigger], name, public, f"{address}[{name!r}]"))
    return found


def check_functions(infra: Infra, expected: Expected, problems: list[str]) -> dict[str, DeployedFunction]:
    deployed = deployed_functions(infra, problems)
    by_name: dict[str, DeployedFunction] = {}
    for function in deployed:
        if function.name in by_name:
            problems.append(f"{function.name}: deployed twice ({by_name[function.name].resource}, {function.resource})")
        by_name[function.name] = function
    for name, kind in expected.signatures.items():
        function = by_name.get(name)
        if function is None:
            problems.append(f"{name}: entry point of main.py (main.SIGNATURES) has no function resource in infra/")
            continue
        if function.kind != kind:
            problems.append(f"{name}: main.SIGNATURES says {kind}, infra deploys it as {function.kind}")
        if function.entry_point != name:
            problems.append(f"{name}: entry point {function.entry_point!r} is not the function's name")
    for name in sorted(set(by_name) - set(expected.signatures)):
        problems.append(f"{name}: deployed by infra but not an entry point of main.py (main.SIGNATURES)")
    public = {name for name, function in by_name.items() if function.public}
    if public != expected.public_functions:
        problems.append(
            f"public functions are {sorted(public)}, expected exactly {sorted(expected.public_functions)}"
        )
    for rtype in ("google_cloud_run_v2_service_iam_member", "google_cloud_run_service_iam_member"):
        for rname, body in resources_of(infra, rtype).items():
            if attr(body, "member") != "allUsers":
                continue
            map_name = for_each_local(body)
            definition = str(infra.locals.get(map_name or "", ""))
            if "local.functions" not in definition or ".public" not in definition:
                problems.append(f"{rtype}.{rname}: allUsers must be bound only to local.functions entries with public")
    return by_name


def check_scheduler(
    infra: Infra, expected: Expected, functions: dict[str, DeployedFunction], problems: list[str]
) -> None:
    jobs: dict[str, Any] = {}
    for rname, body in resources_of(infra, SCHEDULER_TYPE).items():
        address = f"{SCHEDULER_TYPE}.{rname}"
        map_name = for_each_local(body)
        entries = infra.locals.get(map_name or "")
        if not isinstance(entries, dict):
            problems.append(f"{address}: for_each must be a local map keyed by function name")
            continue
        uri = str(attr(body, "http_target", "uri"))
        if f"{FUNCTION_TYPE}." not in uri or "[each.key]" not in uri:
            problems.append(f"{address}: http_target.uri must be the function's own URL ({FUNCTION_TYPE}.*[each.key])")
        if attr(body, "http_target", "oidc_token", "service_account_email") is None:
            problems.append(f"{address}: the job must call with an OIDC token")
        if attr(body, "retry_config") is None:
            problems.append(f"{address}: the job has no retry_config")
        for name, entry in entries.items():
            jobs[name] = variable_default(infra, entry.get("schedule"))
    for name, schedule in jobs.items():
        function = functions.get(name)
        if function is None:
            problems.append(f"scheduler job {name}: targets a function that infra does not deploy")
        elif function.kind != "http" or function.public:
            problems.append(f"scheduler job {name}: its function must be a private HTTP function")
        if name in expected.scheduled_jobs:
            seconds = cron_interval_seconds(schedule)
            if seconds != expected.scheduled_jobs[name]:
                problems.append(
                    f"scheduler job {name}: default schedule {schedule!r} runs every {seconds} s, the local "
                    f"ticker (devstack/server.py) every {expected.scheduled_jobs[name]:g} s"
                )
    for name in sorted(set(expected.scheduled_jobs) - set(jobs)):
        problems.append(f"scheduler job {name}: in devstack's SCHEDULED_JOBS but no Cloud Scheduler job in infra/")
    for name in sorted(set(jobs) - set(expected.scheduled_jobs)):
        problems.append(f"scheduler job {name}: not in devstack's SCHEDULED_JOBS (the local ticker would not run it)")


def check_settings(infra: Infra, expected: Expected, problems: list[str]) -> None:
    for rname, body in resources_of(infra, FUNCTION_TYPE).items():
        address = f"{FUNCTION_TYPE}.{rname}"
        env_expression = attr(body, "service_config", "environment_variables")
        match = LOCAL_REF.match(str(env_expression))
        env = infra.locals.get(match.group(1)) if match else env_expression
        if not isinstance(env, dict):
            problems.append(f"{address}: service_config.environment_variables is not a map")
            env = {}
        secret_blocks = (attr(body, "service_config") or {}).get("secret_environment_variables", [])
        secrets = {_unwrap(block.get("key")) for block in secret_blocks}
        for name, default in expected.settings.items():
            if name in expected.local_only_settings:
                if name in env or name in secrets:
                    problems.append(f"{address}: {name} is local only and must not be set in production")
                continue
            if name not in env and name not in secrets:
                required = "required " if default is None else ""
                problems.append(f"{address}: {required}setting {name} (functions/config.py) is not set")
                continue
            value = env.get(name)
            if default and isinstance(value, str) and "${" not in value and value != default:
                problems.append(f"{address}: {name} is {value!r}, config.py's default (Google's) is {default!r}")
        if "CALBRIDGE_ENCRYPTION_KEY" in env:
            problems.append(f"{address}: CALBRIDGE_ENCRYPTION_KEY must come from Secret Manager, not a plain variable")
        for name in sorted(set(env) | secrets):
            if name not in expected.settings and name not in expected.extra_env:
                problems.append(f"{address}: {name} is not a setting of functions/config.py")
    topic_resources = resources_of(infra, "google_pubsub_topic").values()
    topics = {str(variable_default(infra, attr(body, "name"))) for body in topic_resources}
    if expected.sync_topic not in topics:
        problems.append(f"no Pub/Sub topic named {expected.sync_topic!r} (CALBRIDGE_SYNC_TOPIC's default) by default")


def _file_local(infra: Infra, expression: str) -> Path | None:
    """The file behind ``file(local.x)``, ``file("${path.module}/...")`` or ``local.x`` naming it."""
    text = str(expression)
    match = re.search(r"file\((?:local\.(\w+)|\"(\$\{path\.module\}[^\"]*)\")\)", text)
    if match and match.group(1):
        return resolve_module_path(infra, str(infra.locals.get(match.group(1))))
    if match:
        return resolve_module_path(infra, match.group(2))
    return None


def check_firestore(infra: Infra, problems: list[str]) -> None:
    rules = REPO_ROOT / "firestore.rules"
    indexes = REPO_ROOT / "firestore.indexes.json"
    rulesets = resources_of(infra, "google_firebaserules_ruleset")
    deployed_rules = {
        _file_local(infra, str(_unwrap(files.get("content"))))
        for body in rulesets.values()
        for files in (attr(body, "source") or {}).get("files", [])
    }
    if deployed_rules != {rules}:
        problems.append(f"the Firestore ruleset must deploy {rules} (it deploys {sorted(map(str, deployed_rules))})")
    releases = resources_of(infra, "google_firebaserules_release")
    if not any(attr(body, "name") == "cloud.firestore" for body in releases.values()):
        problems.append("no google_firebaserules_release named cloud.firestore releases the rules")
    index_resources = resources_of(infra, "google_firestore_index")
    if not index_resources:
        problems.append("no google_firestore_index resource deploys firestore.indexes.json")
    for rname, body in index_resources.items():
        if not _reads_file(infra, for_each_local(body), indexes):
            problems.append(f"google_firestore_index.{rname}: its for_each does not come from {indexes}")
    ttl = any(
        "ttl_config" in json.dumps(body) and _local_mentions(infra, for_each_local(body), "oauth_states/expires_at")
        for body in resources_of(infra, "google_firestore_field").values()
    )
    if not ttl:
        problems.append("no TTL policy (google_firestore_field ttl_config) on oauth_states.expires_at")


def _local_mentions(infra: Infra, local_name: str | None, text: str, seen: set[str] | None = None) -> bool:
    """Does ``local.<local_name>``, or a local it uses, contain ``text``?"""
    seen = seen or set()
    if local_name is None or local_name in seen or local_name not in infra.locals:
        return False
    seen.add(local_name)
    body = json.dumps(infra.locals[local_name])
    if text in body:
        return True
    return any(_local_mentions(infra, name, text, seen) for name in re.findall(r"local\.(\w+)", body))


def _reads_file(infra: Infra, local_name: str | None, wanted: Path, seen: set[str] | None = None) -> bool:
    """Does ``local.<local_name>`` come (through other locals) from ``jsondecode(file(<wanted>))``?"""
    seen = seen or set()
    if local_name is None or local_name in seen or local_name not in infra.locals:
        return False
    seen.add(local_name)
    text = json.dumps(infra.locals[local_name])
    path = _file_local(infra, text.replace('\\"', '"'))
    if path == wanted:
        return True
    return any(_reads_file(infra, name, wanted, seen) for name in re.findall(r"local\.(\w+)", text))


def source_files(infra: Infra, repo_root: Path = REPO_ROOT) -> list[str]:
    """The files the source zip holds, computed as infra/source.tf does (paths inside the zip)."""
    files = list(infra.locals.get("source_root_files") or [])
    for folder in infra.locals.get("source_dirs") or []:
        for path in sorted((repo_root / folder).rglob("*")):
            relative = path.relative_to(repo_root)
            if path.is_file() and "__pycache__" not in relative.parts and not path.name.startswith("."):
                files.append(relative.as_posix())
    return files


def check_source(infra: Infra, problems: list[str]) -> None:
    roots = set(infra.locals.get("source_root_files") or []) | set(infra.locals.get("source_dirs") or [])
    if roots != DEPLOYED_ENTRIES:
        problems.append(f"source zip: holds {sorted(roots)}, expected exactly {sorted(DEPLOYED_ENTRIES)}")
    for name in sorted(MUST_EXCLUDE & roots):
        problems.append(f"source zip: {name} must not be deployed")
    if "requirements.txt" not in (infra.locals.get("source_root_files") or []):
        problems.append("source zip: requirements.txt must be at the root of the zip")
    if "${path.module}/.." not in str(infra.locals.get("repo_root")):
        problems.append("local.repo_root must be the repository root")
    for path in source_files(infra):
        try:
            (REPO_ROOT / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            problems.append(f"source zip: {path} is not a text file (Terraform's file() cannot read it)")


def problems(infra: Infra, expected: Expected) -> list[str]:
    """Every disagreement between infra/ and the code, as sentences (empty: consistent)."""
    found: list[str] = []
    functions = check_functions(infra, expected, found)
    check_scheduler(infra, expected, functions, found)
    check_settings(infra, expected, found)
    check_firestore(infra, found)
    check_firestore_triggers(infra, expected, found)
    check_source(infra, found)
    check_push_and_worker(infra, expected, found)
    return found


def check_push_and_worker(infra: Infra, expected: Expected, problems: list[str]) -> None:
    """The webhook: a public HTTP entry point at ``CALBRIDGE_PUBLIC_BASE_URL`` + its name, that base set on every
    function and ending in /, the ``webhook_url`` output the same address. The Pub/Sub worker: triggered by the
    sync topic, with the dead-letter topic attached to its trigger's subscription."""
    webhook = expected.webhook_function
    entry = (infra.locals.get("functions") or {}).get(webhook)
    if expected.signatures.get(webhook) != "http":
        problems.append(f"{webhook}: the push address names it, but it is not an HTTP entry point of main.py")
    if not isinstance(entry, dict) or entry.get("trigger") != "http" or entry.get("public") is not True:
        problems.append(f"{webhook}: Google's push notifications need it deployed as a public HTTP function")
    environment = infra.locals.get("function_environment") or {}
    if environment.get("CALBRIDGE_PUBLIC_BASE_URL") != "${local.public_base_url}":
        problems.append("CALBRIDGE_PUBLIC_BASE_URL must be local.public_base_url (the webhook address is built on it)")
    base = str(infra.locals.get("public_base_url", ""))
    validation = json.dumps(infra.variables.get("public_base_url", {}).get("validation", ""))
    if not base.endswith('/"}') or "/$" not in validation:
        problems.append("local.public_base_url must end in / (default and variable validation): "
                        f"the webhook is <base>{webhook}")
    if infra.outputs.get("webhook_url") != "${local.public_base_url}" + webhook:
        problems.append(f"output webhook_url must be ${{local.public_base_url}}{webhook}, "
                        f"is {infra.outputs.get('webhook_url')!r}")
    workers = [name for name, kind in expected.signatures.items()
               if kind == "cloudevent" and name not in expected.firestore_triggers]
    function_body = json.dumps(resources_of(infra, FUNCTION_TYPE))
    if workers and "google_pubsub_topic.sync.id" not in function_body:
        problems.append(f"{', '.join(workers)}: the event trigger must be the sync topic (google_pubsub_topic.sync.id)")
    dead_letters = [body for body in resources_of(infra, "terraform_data").values()
                    if "local.pubsub_functions" in str(attr(body, "for_each"))
                    and "google_pubsub_topic.sync_dead_letter" in json.dumps(body)]
    if workers and not dead_letters:
        problems.append(f"{', '.join(workers)}: no dead-letter topic attached to the Pub/Sub trigger "
                        "(terraform_data over local.pubsub_functions)")


def check_firestore_triggers(infra: Infra, expected: Expected, problems: list[str]) -> None:
    """Each Firestore-triggered entry point: an Eventarc trigger of the right type on the right documents,
    filtered by path pattern on the (default) database, retried; and no other function on Firestore."""
    entries = infra.locals.get("functions") or {}
    event_types = infra.locals.get("event_types") or {}
    for name, (event_type, document) in expected.firestore_triggers.items():
        entry = entries.get(name)
        if not isinstance(entry, dict):
            continue  # reported by check_functions
        if entry.get("trigger") != "firestore":
            problems.append(f"{name}: must be an Eventarc trigger on Firestore (trigger = \"firestore\"), "
                            f"infra says {entry.get('trigger')!r}")
            continue
        if entry.get("document") != document:
            problems.append(f"{name}: watches documents {entry.get('document')!r}, the code reads {document!r}")
        if event_types.get("firestore") != event_type:
            problems.append(f"{name}: event type {event_types.get('firestore')!r}, the code reads {event_type!r}")
    for name, entry in entries.items():
        if isinstance(entry, dict) and entry.get("trigger") == "firestore" and name not in expected.firestore_triggers:
            problems.append(f"{name}: deployed on Firestore writes, but the code reads no such event")
    if not expected.firestore_triggers:
        return
    body = json.dumps(resources_of(infra, FUNCTION_TYPE))
    for needed, why in (
        ("match-path-pattern", "the document filter must use operator match-path-pattern"),
        ("'attribute': 'database', 'value': '(default)'", "the trigger must filter database (default)"),
        ("RETRY_POLICY_RETRY", "event triggers must be retried (retry_policy RETRY_POLICY_RETRY)"),
        ("var.firestore_location", "a Firestore trigger's region must be the database's location"),
    ):
        if needed not in body:
            problems.append(f"{FUNCTION_TYPE}: {why}")


def expected_from_code() -> Expected:
    """What main.py, functions/config.py and devstack/server.py say."""
    import main
    from devstack.server import SCHEDULED_JOBS
    from functions.bootstrap import WEBHOOK_FUNCTION
    from functions.config import EMULATOR_VARIABLES, SETTINGS
    from functions.events.firestore_event import DOCUMENT_PATTERN, EVENT_TYPE

    settings = {setting.name: setting.default for setting in SETTINGS}
    return Expected(
        signatures=dict(main.SIGNATURES),
        settings=settings,
        local_only_settings=set(EMULATOR_VARIABLES),
        scheduled_jobs=dict(SCHEDULED_JOBS),
        public_functions={"oauth_callback", "calendar_webhook", "pages", "api", "activities"},
        sync_topic=str(settings["CALBRIDGE_SYNC_TOPIC"]),
        extra_env={"CALBRIDGE_LOG_FORMAT"},
        firestore_triggers={"on_activity_write": (EVENT_TYPE, DOCUMENT_PATTERN)},
        webhook_function=WEBHOOK_FUNCTION,
    )
