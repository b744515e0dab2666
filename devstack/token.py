"""Print a Firebase ID token for a user of the running dev stack, to call the API by hand:

    TOKEN=$(.venv/bin/python -m devstack.token user@example.com)
    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/me

It asks the dev server (``--url``, default ``http://127.0.0.1:$CALBRIDGE_DEV_PORT/`` or port 8080)
where its Firebase Auth emulator is, signs in there with the password (default: the demo
password), and prints the ID token alone on stdout. Tokens last an hour.
"""

from __future__ import annotations

import argparse
import os
import sys

import requests

from devstack.auth_emulator import AuthEmulator
from devstack.seed import DEMO_PASSWORD


def default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('CALBRIDGE_DEV_PORT') or 8080}/"


def id_token(email: str, password: str, url: str) -> str:
    """Sign ``email`` in on the Auth emulator of the dev server at ``url``; its ID token."""
    base = url if url.endswith("/") else url + "/"
    try:
        index = requests.get(base, timeout=5).json()
    except (requests.RequestException, ValueError) as exc:
        raise SystemExit(f"error: no dev stack answers at {base} ({exc}); start it with ./scripts/dev") from exc
    address = index.get("auth_emulator")
    if not address:
        raise SystemExit(f"error: the server at {base} names no Auth emulator; is it the dev stack?")
    try:
        return AuthEmulator(address, "").sign_in(email, password)
    except requests.HTTPError as exc:
        detail = exc.response.json().get("error", {}).get("message", "") if exc.response is not None else ""
        raise SystemExit(f"error: cannot sign in {email} on the Auth emulator: {detail or exc}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.token", description=__doc__.split("\n")[0])
    parser.add_argument("email", help="a user of the dev stack, e.g. user@example.com or admin@example.com")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="their password (default: the demo password)")
    parser.add_argument("--url", default=default_url(), help="the dev server's base URL (default: %(default)s)")
    args = parser.parse_args(argv)
    print(id_token(args.email, args.password, args.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
