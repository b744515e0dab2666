"""Cost of the revocation check per request: ``verify_id_token`` plain vs ``check_revoked=True``.

Starts the Firebase Auth emulator through devstack (as the tests do), signs a user in, verifies
the same ID token N times each way, stops the emulator, and prints as its last line one JSON
object: ``{"requests": N, "ms_per_request_plain": x, "ms_per_request_checked": y}``.

On the emulator the plain check skips the signature (unsigned tokens), so "plain" is close to
free and the difference is the user lookup the revocation check adds: one HTTP round trip to
Firebase Auth. In production add the network round trip to Google (typically 10-50 ms from
Cloud Functions in the same region). Run: ``.venv/bin/python -m bench.auth_check [--requests N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)

    from devstack.auth_emulator import AuthEmulator
    from devstack.stack import LocalStack

    saved = dict(os.environ)
    stack = LocalStack(parts=("auth",))
    try:
        print("starting the Firebase Auth emulator ...", file=sys.stderr, flush=True)
        stack.start()
        stack.export()
        emulator = AuthEmulator(stack.processes["auth"].address, stack.project_id)
        emulator.create_user("bench@example.com", "bench-password")
        token = emulator.sign_in("bench@example.com", "bench-password")

        from firebase_admin import auth

        from functions.identity.firebase_app import firebase_app

        app = firebase_app()
        timings: dict[str, float] = {}
        for name, checked in (("plain", False), ("checked", True)):
            auth.verify_id_token(token, app=app, check_revoked=checked)  # warm up (sessions, imports)
            started = time.perf_counter()
            for _ in range(args.requests):
                auth.verify_id_token(token, app=app, check_revoked=checked, clock_skew_seconds=10)
            timings[name] = (time.perf_counter() - started) * 1000 / args.requests
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
    print(f"verify_id_token on the Auth emulator, {args.requests} requests each:")
    print(f"  plain                {timings['plain']:.3f} ms per request")
    print(f"  check_revoked=True   {timings['checked']:.3f} ms per request "
          f"(+{timings['checked'] - timings['plain']:.3f} ms: one user lookup)")
    print(json.dumps({
        "requests": args.requests,
        "ms_per_request_plain": round(timings["plain"], 3),
        "ms_per_request_checked": round(timings["checked"], 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
