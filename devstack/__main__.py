"""The dev command: emulators + sandbox + every function on one port, with demo data.

Run through ``./scripts/dev`` (which installs what is missing first). Ctrl-C stops it all.

Given Google's URL settings (``GOOGLE_API_BASE_URL``, ``GOOGLE_OAUTH_AUTHORIZE_URL``,
``GOOGLE_OAUTH_TOKEN_URL``, ``GOOGLE_OAUTH_REVOKE_URL``) in the environment, or ``--real-google``,
it starts no sandbox and uses those (unset ones take Google's production URLs): try calbridge
with your own OAuth client before deploying. The emulators still serve everything else.
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
from devstack.seed import DEMO_ADMIN_EMAIL, DEMO_PASSWORD, DEMO_USER_EMAIL, DemoData, seed_demo, seed_users
from devstack.server import LocalServer, PubSubPump, Ticker
from devstack.stack import ALL_PARTS, LocalStack

GOOGLE_URL_VARIABLES = (
    "GOOGLE_API_BASE_URL",
    "GOOGLE_OAUTH_AUTHORIZE_URL",
    "GOOGLE_OAUTH_TOKEN_URL",
    "GOOGLE_OAUTH_REVOKE_URL",
)


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def given_google_urls(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The Google URL settings given in the environment (non-empty ones)."""
    environ = dict(os.environ) if environ is None else environ
    return {name: environ[name] for name in GOOGLE_URL_VARIABLES if environ.get(name)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CALBRIDGE_DEV_PORT", "8080")),
                        help="port of the functions server (default 8080, or a free one if taken; "
                             "with your own Google client it must be the one you registered)")
    parser.add_argument("--no-seed", action="store_true", help="start without the demo users and accounts")
    parser.add_argument("--no-ticker", action="store_true", help="do not fire the scheduled jobs")
    parser.add_argument("--real-google", action="store_true",
                        help="use Google itself (production URLs, or the GOOGLE_* URLs given) instead of the sandbox")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    external_google = args.real_google or bool(given_google_urls())
    if _port_is_free(args.port):
        port = args.port
    elif external_google:
        print(f"error: port {args.port} is taken. With your own Google OAuth client the functions must listen "
              f"where its redirect URI points (http://127.0.0.1:{args.port}/oauth_callback): free the port, or "
              "register another and pass --port.", file=sys.stderr)
        return 1
    else:
        port = free_port()
    public_base_url = f"http://127.0.0.1:{port}/"
    parts = tuple(p for p in ALL_PARTS if p != "sandbox") if external_google else ALL_PARTS
    stack = LocalStack(parts=parts)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    try:
        if external_google:
            print("Starting the Firestore, Pub/Sub and Auth emulators (Google: your settings, no sandbox) ...",
                  flush=True)
        else:
            print("Starting the Firestore, Pub/Sub and Auth emulators and the Google sandbox ...", flush=True)
        stack.start()
        env = stack.export(public_base_url)
        server = LocalServer(port=port).start()
        from functions.config import get_settings

        pump = PubSubPump(server.url, stack.project_id, get_settings().sync_topic).start()
        if stack.firestore_trigger is not None:  # plays Eventarc: activities/{id} writes -> on_activity_write
            stack.firestore_trigger.forward_to(server.url)
        ticker = Ticker(server.url).start() if not args.no_ticker else None
        demo = None
        if not args.no_seed:
            auth = AuthEmulator(env["FIREBASE_AUTH_EMULATOR_HOST"], stack.project_id)
            if external_google:
                seed_users(auth)
            else:
                demo = seed_demo(auth, stack.url("sandbox"), public_base_url)
        if external_google:
            _print_external_banner(server.url, env, seeded=not args.no_seed)
        else:
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


def _common_lines(server_url: str) -> list[str]:
    return [
        "",
        "calbridge is running. Ctrl-C stops everything.",
        "",
        f"  Settings page          {server_url}pages/",
        f"  Admin page             {server_url}pages/admin",
        f"  Functions (index)      {server_url}",
        f"  JSON API               {server_url}api/   (ID token: .venv/bin/python -m devstack.token EMAIL)",
        f"  OAuth callback         {server_url}oauth_callback",
        f"  Push webhook           {server_url}calendar_webhook",
        f"  Export on write        every write of activities/{{id}} on the emulator -> {server_url}on_activity_write",
    ]


def _emulator_lines(env: dict[str, str]) -> list[str]:
    return [
        f"  Firestore emulator     {env['FIRESTORE_EMULATOR_HOST']}",
        f"  Pub/Sub emulator       {env['PUBSUB_EMULATOR_HOST']}",
        f"  Auth emulator          {env['FIREBASE_AUTH_EMULATOR_HOST']}",
    ]


def _print_banner(stack: LocalStack, server_url: str, env: dict[str, str], demo: DemoData | None) -> None:
    sandbox = stack.url("sandbox")
    lines = _common_lines(server_url) + [
        f"  Google sandbox (API)   {sandbox}calendar/v3/",
        f"  Sandbox consent page   {sandbox}o/oauth2/v2/auth",
        f"  Sandbox control API    {sandbox}_sandbox/",
    ] + _emulator_lines(env)
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


def _print_external_banner(server_url: str, env: dict[str, str], seeded: bool) -> None:
    from functions.config import get_settings

    settings = get_settings()
    lines = _common_lines(server_url) + [
        f"  Google API             {settings.google_api_base_url}   (no sandbox: your Google settings)",
        f"  Google consent         {settings.oauth_authorize_url}",
        f"  Google token           {settings.oauth_token_url}",
        f"  Google revoke          {settings.oauth_revoke_url}",
    ] + _emulator_lines(env)
    if seeded:
        lines += [
            "",
            f"  Demo admin  {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}",
            f"  Demo user   {DEMO_USER_EMAIL} / {DEMO_PASSWORD}",
        ]
    lines += [
        "  Your OAuth client must list this authorized redirect URI:",
        f"  Redirect URL                 {server_url}oauth_callback",
        "  On the admin page, save your client's API key, client ID and client secret, then connect",
        "  on the settings page with your Google account.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
