"""checkov over infra/ (offline): no failed check. A finding we accept is skipped in place,
on the resource, as ``# checkov:skip=CKV_GCP_XX: reason``, and the reason is required."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.consistency import INFRA_DIR, REPO_ROOT

CHECKOV = REPO_ROOT / ".venv-infra" / "bin" / "checkov"
SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(.*)")


def checkov(folder: Path) -> subprocess.CompletedProcess[str]:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run scripts/setup (it creates .venv-infra).")
    return subprocess.run(
        [str(CHECKOV), "-d", str(folder), "--quiet", "--compact", "--skip-download", "--framework", "terraform"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
    )


def test_checkov_finds_nothing_in_infra() -> None:
    result = checkov(INFRA_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed checks: 0" in result.stdout


def test_checkov_fails_without_the_skip(tmp_path: Path) -> None:
    copy_dir = tmp_path / "infra"
    shutil.copytree(INFRA_DIR, copy_dir, ignore=shutil.ignore_patterns(".terraform", ".build"))
    pubsub = copy_dir / "pubsub.tf"
    pubsub.write_text(re.sub(r".*checkov:skip=CKV_GCP_83.*\n", "", pubsub.read_text()))
    result = checkov(copy_dir)
    assert result.returncode != 0
    assert "CKV_GCP_83" in result.stdout


def test_every_accepted_finding_says_why() -> None:
    skips = [
        (path.name, match.group(1), match.group(2))
        for path in sorted(INFRA_DIR.glob("*.tf"))
        for match in SKIP.finditer(path.read_text())
    ]
    assert skips, "no skip comment found: was this test's pattern broken?"
    for name, check, rest in skips:
        reason = rest.lstrip(":").strip()
        assert len(reason) >= 20, f"{name}: checkov:skip={check} needs a reason after the colon"
