"""Print every ``*.tf`` file of a folder as JSON: ``{"<file name>": <python-hcl2 parse>}``.

Runs under ``.venv-infra`` (where checkov's pinned bc-python-hcl2 provides ``hcl2``), so the
tests themselves stay in ``.venv``: ``.venv-infra/bin/python tests/infra/hcl_dump.py infra``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2


def main(folder: str) -> int:
    parsed = {}
    for path in sorted(Path(folder).glob("*.tf")):
        with path.open() as handle:
            parsed[path.name] = hcl2.load(handle)
    json.dump(parsed, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
