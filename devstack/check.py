"""``python -m devstack.check``: report whether the emulators can be started on this machine."""

from __future__ import annotations

import sys

from devstack import emulators
from devstack.processes import StackError


def main() -> int:
    try:
        emulators.require_java()
        emulators.firestore_jar()
        emulators.pubsub_script()
        emulators.firebase_cli()
    except StackError as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
