"""docs/data-model.md's "client access" column says what firestore.rules allows, in the rules' words.

The rules' header lists who may do what from a client; the rules themselves are tested against the
emulator in tests/integration/test_firestore_rules.py. Here the doc is held to that header.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Each rules header entry -> the data-model rows it governs.
ROWS_OF = {
    "users/{uid}": ["`users/{uid}`"],
    "users/{uid}/links/{type}": ["`users/{uid}/links/{id}` (`id`: see below)"],
    "users/{uid}/secrets/**": ["`users/{uid}/secrets/google`"],
    "config/activity_types": ["`config/activity_types`"],
    "config/google, other config/**": ["`config/google`"],
    "activities/{id}": ["`activities/{id}`"],
    "groups/{id}": ["`groups/{id}`"],
    "google_events/{id}": ["`google_events/{id}`"],
    "oauth_states, mappings, channels": ["`oauth_states/{state}`", "`mappings/{id}`, `channels/{id}`"],
}


def rules_header() -> dict[str, str]:
    lines = (REPO_ROOT / "firestore.rules").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "Who may do what from a client" in line) + 1
    entries: dict[str, str] = {}
    column = None
    last = None
    for line in lines[start:]:
        body = line[2:] if line.startswith("//") else None
        if not body or not body.strip():
            break
        if column is None:
            column = re.search(r"\S\s{2,}(\S)", body).start(1)  # type: ignore[union-attr]
        path, text = body[:column].strip(), body[column:].strip()
        if path:
            entries[path] = text
            last = path
        else:
            assert last is not None
            entries[last] += " " + text
    return entries


def doc_access() -> dict[str, str]:
    rows = {}
    for line in (REPO_ROOT / "docs" / "data-model.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            rows[cells[0]] = cells[3]
    return rows


def test_every_rules_entry_has_its_rows_in_the_data_model_with_the_same_words() -> None:
    header, doc = rules_header(), doc_access()
    assert set(header) == set(ROWS_OF), header
    for entry, rows in ROWS_OF.items():
        for row in rows:
            assert doc.get(row) == header[entry], (entry, row, doc.get(row))


def test_the_two_former_disagreements_read_as_the_rules_do() -> None:
    doc = doc_access()
    assert doc["`config/activity_types`"] == "an admin reads; no writes"
    assert "creates and updates their own non-read-only" in doc["`activities/{id}`"]
    assert "deletes those with no Google copy" in doc["`activities/{id}`"]
