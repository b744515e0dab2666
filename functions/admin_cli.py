"""Admin command line: grant or revoke the ``admin`` custom claim.

    python -m functions.admin_cli grant-admin EMAIL
    python -m functions.admin_cli revoke-admin EMAIL

Production: run with Application Default Credentials allowed to manage Firebase Auth users
(``gcloud auth application-default login``) and GOOGLE_CLOUD_PROJECT set. Locally: with
FIREBASE_AUTH_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT pointing at the Auth emulator.
The user must exist (have signed in once); the claim reaches their next ID token.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from functions.config import ConfigError
from functions.services.errors import DomainError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.admin_cli", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("grant-admin", "make the user an admin"), ("revoke-admin", "remove the admin claim")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("email")
    args = parser.parse_args(argv)

    from functions.bootstrap import services

    try:
        user = services().admin.set_admin_by_email(args.email, admin=args.command == "grant-admin")
    except (DomainError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"uid": user.uid, "admin": user.admin, "email": args.email}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
