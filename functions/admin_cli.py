"""Admin command line: grant or revoke the ``admin`` custom claim; the upgrade backfill of ``next_poll_at``.

    python -m functions.admin_cli grant-admin EMAIL
    python -m functions.admin_cli revoke-admin EMAIL
    python -m functions.admin_cli backfill-poll [--dry-run]

``backfill-poll`` gives every link without ``links.next_poll_at`` (saved before it existed) the value of
the poll rule, so the scheduled import finds it; it writes that field alone, in a transaction, only where
it is still missing, and running it again writes nothing (docs/deploy.md, *Upgrading*). It needs
Firestore (ADC, or FIRESTORE_EMULATOR_HOST locally) but no Auth.

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
    backfill = commands.add_parser("backfill-poll", help="set links.next_poll_at where it is missing (upgrade)")
    backfill.add_argument("--dry-run", action="store_true", help="count what would be written, write nothing")
    args = parser.parse_args(argv)

    from functions.bootstrap import services

    if args.command == "backfill-poll":
        try:
            report = services().poll_backfill.run(dry_run=args.dry_run)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(json.dumps({"dry_run": args.dry_run, **report.as_dict()}))
        return 0
    try:
        user = services().admin.set_admin_by_email(args.email, admin=args.command == "grant-admin")
    except (DomainError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"uid": user.uid, "admin": user.admin, "email": args.email}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
