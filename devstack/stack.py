"""The whole local stack as one object: start everything, export the environment, stop it all."""

from __future__ import annotations

import atexit
import base64
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from devstack import emulators
from devstack.firestore_trigger import FirestoreTriggerRelay
from devstack.processes import ManagedProcess, StackError, free_port

PROJECT_ID = "demo-calbridge"  # "demo-" project ids never reach a real project
RULES_PATH = emulators.REPO_ROOT / "firestore.rules"

ALL_PARTS = ("firestore", "pubsub", "auth", "sandbox")


@dataclass
class LocalStack:
    """Firestore, Pub/Sub and Auth emulators plus the Google sandbox, on free loopback ports."""

    parts: tuple[str, ...] = ALL_PARTS
    project_id: str = PROJECT_ID
    access_token_ttl: int = 3600
    sandbox_snapshot: Path | None = None
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    # Plays Eventarc for Firestore writes (activities/{id} -> on_activity_write); forwards nothing until
    # told where the functions are (firestore_trigger.forward_to(server_url)).
    firestore_trigger: FirestoreTriggerRelay | None = None

    def start(self) -> LocalStack:
        unknown = set(self.parts) - set(ALL_PARTS)
        if unknown:
            raise StackError(f"unknown stack parts: {sorted(unknown)}")
        # Find every prerequisite before starting anything, so a missing one fails fast.
        if {"firestore", "pubsub"} & set(self.parts):
            emulators.require_java()
            emulators.firestore_jar()
            emulators.pubsub_script()
        if "auth" in self.parts:
            emulators.firebase_cli()
        atexit.register(self.stop)
        relay_port = free_port()
        starters = {
            "firestore": lambda: emulators.start_firestore(
                self.project_id, RULES_PATH, functions_emulator=f"{emulators.HOST}:{relay_port}"),
            "pubsub": lambda: emulators.start_pubsub(self.project_id),
            "auth": lambda: emulators.start_auth(self.project_id),
            "sandbox": lambda: emulators.start_sandbox(self.access_token_ttl, self.sandbox_snapshot),
        }
        waiters = {
            "firestore": lambda p: (p.wait_http("", timeout=60, expect="Ok"), self._start_trigger(relay_port)),
            "pubsub": lambda p: p.wait_log("Server started", timeout=90),
            "auth": lambda p: p.wait_http("", timeout=120, expect="ready"),
            "sandbox": lambda p: p.wait_http("_sandbox/health", timeout=30, expect="ok"),
        }
        for name in self.parts:
            self.processes[name] = starters[name]()
        try:
            with ThreadPoolExecutor(max_workers=len(self.parts)) as pool:
                for future in [pool.submit(waiters[n], self.processes[n]) for n in self.parts]:
                    future.result()
            if "pubsub" in self.processes:
                self._create_sync_topic()
        except BaseException:
            self.stop()
            raise
        return self

    def _create_sync_topic(self) -> None:
        """The topic the jobs, the webhook and Resync publish to exists from the start, as Terraform makes it in
        production (publishing to a missing topic fails)."""
        from functions.config import get_settings

        topic = f"{self.url('pubsub')}v1/projects/{self.project_id}/topics/{get_settings().sync_topic}"
        answer = requests.put(topic, json={}, timeout=30)
        if answer.status_code not in (200, 409):  # 409: already there
            raise StackError(f"could not create the Pub/Sub topic {topic}: {answer.status_code} {answer.text[:200]}")

    def _start_trigger(self, relay_port: int) -> None:
        """The relay on the port the emulator was given, and the trigger registered (the emulator's first
        registration takes seconds: it runs while the other parts still start)."""
        self.firestore_trigger = FirestoreTriggerRelay(emulators.HOST, relay_port).start()
        self.firestore_trigger.register(self.processes["firestore"].address, self.project_id)

    def stop(self) -> None:
        if self.firestore_trigger is not None:
            self.firestore_trigger.stop()
            self.firestore_trigger = None
        for proc in self.processes.values():
            proc.stop()

    def url(self, part: str) -> str:
        return self.processes[part].url

    def environment(self, public_base_url: str | None = None) -> dict[str, str]:
        """The variables that point calbridge (and Google's client libraries) at this stack."""
        env = {
            "GOOGLE_CLOUD_PROJECT": self.project_id,
            "GCLOUD_PROJECT": self.project_id,
            "CALBRIDGE_FIREBASE_WEB_API_KEY": "demo-api-key",
        }
        if "firestore" in self.processes:
            env["FIRESTORE_EMULATOR_HOST"] = self.processes["firestore"].address
        if "pubsub" in self.processes:
            env["PUBSUB_EMULATOR_HOST"] = self.processes["pubsub"].address
        if "auth" in self.processes:
            env["FIREBASE_AUTH_EMULATOR_HOST"] = self.processes["auth"].address
        if "sandbox" in self.processes:
            sandbox = self.processes["sandbox"].url
            env.update(
                GOOGLE_API_BASE_URL=sandbox,
                GOOGLE_OAUTH_AUTHORIZE_URL=sandbox + "o/oauth2/v2/auth",
                GOOGLE_OAUTH_TOKEN_URL=sandbox + "token",
                GOOGLE_OAUTH_REVOKE_URL=sandbox + "revoke",
            )
        if public_base_url:
            env["CALBRIDGE_PUBLIC_BASE_URL"] = public_base_url
            env["CALBRIDGE_FIREBASE_JS_URL"] = public_base_url + "_static/firebasejs/"
        env.setdefault("CALBRIDGE_ENCRYPTION_KEY", os.environ.get("CALBRIDGE_ENCRYPTION_KEY") or new_encryption_key())
        return env

    def export(self, public_base_url: str | None = None) -> dict[str, str]:
        env = self.environment(public_base_url)
        os.environ.update(env)
        from functions.config import reload_settings

        reload_settings()
        return env

    # --- clearing data between tests ------------------------------------------------
    def clear_firestore(self) -> None:
        address = self.processes["firestore"].address
        url = f"http://{address}/emulator/v1/projects/{self.project_id}/databases/(default)/documents"
        requests.delete(url, timeout=10).raise_for_status()

    def clear_auth(self) -> None:
        address = self.processes["auth"].address
        url = f"http://{address}/emulator/v1/projects/{self.project_id}/accounts"
        requests.delete(url, timeout=10).raise_for_status()


def new_encryption_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()
