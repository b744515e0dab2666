"""A machine without Java, the emulators or Node gets a message naming what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import emulators
from devstack.emulators import Machine
from devstack.processes import StackError


def nothing_on_the_path(name: str) -> None:
    return None


@pytest.fixture
def bare(tmp_path: Path) -> Machine:
    """No java, gcloud or node on the PATH, no SDK in the usual places, no npm packages."""
    return Machine(which=nothing_on_the_path, environ={"CLOUDSDK_ROOT": str(tmp_path / "no-sdk")},
                   repo_root=tmp_path, usual_sdk_roots=())


def test_missing_java_says_what_to_install(bare: Machine) -> None:
    with pytest.raises(StackError, match="Java is missing.*openjdk-17-jre-headless"):
        emulators.require_java(bare)


def test_missing_cloud_sdk_says_what_to_install(bare: Machine) -> None:
    with pytest.raises(StackError, match="Google Cloud CLI was not found.*cloud-firestore-emulator"):
        emulators.firestore_jar(bare)
    with pytest.raises(StackError, match="Google Cloud CLI was not found.*pubsub-emulator"):
        emulators.pubsub_script(bare)


def test_an_sdk_without_the_emulator_names_the_missing_component(bare: Machine, tmp_path: Path) -> None:
    (tmp_path / "sdk" / "platform").mkdir(parents=True)
    machine = Machine(which=nothing_on_the_path, environ={"CLOUDSDK_ROOT": str(tmp_path / "sdk")},
                      repo_root=tmp_path, usual_sdk_roots=())
    with pytest.raises(StackError, match="Firestore emulator is missing"):
        emulators.firestore_jar(machine)


def test_missing_firebase_tools_says_to_run_npm_ci(bare: Machine) -> None:
    with pytest.raises(StackError, match="npm ci"):
        emulators.firebase_cli(bare)


def test_missing_node_is_named(bare: Machine, tmp_path: Path) -> None:
    (tmp_path / "node_modules" / ".bin").mkdir(parents=True)
    (tmp_path / "node_modules" / ".bin" / "firebase").write_text("")
    with pytest.raises(StackError, match="Node.js is missing"):
        emulators.firebase_cli(bare)


def test_this_machine_has_what_the_tests_need() -> None:
    assert emulators.require_java()
    assert emulators.firestore_jar().is_file()
    assert emulators.firebase_cli().exists()
