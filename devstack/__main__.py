"""The dev command: emulators + sandbox + every function on one port, with demo data.

Run through ``./scripts/dev`` (which installs what is missing first). Ctrl-C stops it all.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from devstack.auth_emulator import AuthEmulator
from devstack.processes import StackError, free_port
from devstack.seed import DEMO_ADMIN_EMAIL, DEMO_PASSWORD, DEMO_USER_EMAIL, DemoData, seed_demo
from devstack.server import LocalServer, PubSubPump, Ticker
from devstack.stack import LocalStack


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CALBRIDGE_DEV_PORT", "8080")),
                        help="port of the functions server (default 8080, or a free one if taken)")
    parser.add_argument("--no-seed", action="store_true", help="start without the demo users and accounts")
    parser.add_argument("--no-ticker", action="store_true", help="do not fire the scheduled jobs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    port = args.port if _port_is_free(args.port) else free_port()
    public_base_url = f"http://127.0.0.1:{port}/"
    stack = LocalStack()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    try:
        print("Starting the Firestore, Pub/Sub and Auth emulators and the Google sandbox ...", flush=True)
        stack.start()
        env = stack.export(public_base_url)
        server = LocalServer(port=port).start()
        from functions.config import get_settings

        pump = PubSubPump(server.url, stack.project_id, get_settings().sync_topic).start()
        ticker = Ticker(server.url).start() if not args.no_ticker else None
        demo = None
        if not args.no_seed:
            auth = AuthEmulator(env["FIREBASE_AUTH_EMULATOR_HOST"], stack.project_id)
            demo = seed_demo(auth, stack.url("sandbox"), public_base_url)
        _print_banner(stack, server.url, env, demo)
        stopped.wait()
        print("\nStopping ...", flush=True)
        if ticker:
            ticker.stop()
        pump.stop()
        server.stop()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
    return 0


def _print_banner(stack: LocalStack, server_url: str, env: dict[str, str], demo: DemoData | None) -> None:
    sandbox = stack.url("sandbox")
    lines = [
        "",
        "calbridge is running. Ctrl-C stops everything.",
        "",
        f"  Settings page          {server_url}pages/",
        f"  Admin page             {server_url}pages/admin",
        f"  Functions (index)      {server_url}",
        f"  JSON API               {server_url}api/",
        f"  OAuth callback         {server_url}oauth_callback",
        f"  Push webhook           {server_url}calendar_webhook",
        f"  Google sandbox (API)   {sandbox}calendar/v3/",
        f"  Sandbox consent page   {sandbox}o/oauth2/v2/auth",
        f"  Sandbox control API    {sandbox}_sandbox/",
        f"  Firestore emulator     {env['FIRESTORE_EMULATOR_HOST']}",
        f"  Pub/Sub emulator       {env['PUBSUB_EMULATOR_HOST']}",
        f"  Auth emulator          {env['FIREBASE_AUTH_EMULATOR_HOST']}",
    ]
    if demo is not None:
        lines += [
            "",
            f"  Demo admin  {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}",
            f"  Demo user   {DEMO_USER_EMAIL} / {DEMO_PASSWORD}",
            "  On the admin page, sign in as the demo admin and save:",
            f"  API key                      {demo.api_key}",
            f"  Sandbox OAuth client id      {demo.client_id}",
            f"  Sandbox OAuth client secret  {demo.client_secret}",
            f"  Redirect URL                 {demo.redirect_uri}",
        ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
