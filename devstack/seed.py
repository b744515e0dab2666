"""Demo data for the dev stack: an admin, a user, and their Google accounts in the sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.auth_emulator import AuthEmulator

DEMO_PASSWORD = "calbridge-demo"
DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_USER_EMAIL = "user@example.com"
DEMO_CLIENT_ID = "123456789012-calbridgedemo.apps.googleusercontent.com"
DEMO_CLIENT_SECRET = "GOCSPX-calbridge-demo-secret"
DEMO_API_KEY = "AIzaSyCalbridgeDemo" + "0" * 20  # the shape of a Google API key: AIza + 35 characters


@dataclass(frozen=True)
class DemoData:
    admin_uid: str
    user_uid: str
    client_id: str
    client_secret: str
    redirect_uri: str
    api_key: str = DEMO_API_KEY


def seed_users(auth: AuthEmulator) -> tuple[str, str]:
    """Create the demo admin (with the admin claim) and the demo user; their uids."""
    admin_uid = auth.create_user(DEMO_ADMIN_EMAIL, DEMO_PASSWORD, "Demo Admin")
    auth.set_claims(admin_uid, {"admin": True})
    user_uid = auth.create_user(DEMO_USER_EMAIL, DEMO_PASSWORD, "Demo User")
    return admin_uid, user_uid


def seed_demo(auth: AuthEmulator, sandbox_url: str, public_base_url: str) -> DemoData:
    """Create the demo admin and user, an OAuth client and Google accounts with calendars."""
    from sandbox.control import SandboxControl

    admin_uid, user_uid = seed_users(auth)

    redirect_uri = public_base_url + "oauth_callback"
    control = SandboxControl(sandbox_url)
    control.create_oauth_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [redirect_uri])
    for email in (DEMO_ADMIN_EMAIL, DEMO_USER_EMAIL):
        control.create_account(email)
        control.create_calendar(email, "CRM Meetings", time_zone="Europe/Madrid")
        control.create_calendar(email, "CRM Calls", time_zone="Europe/Madrid")
    return DemoData(admin_uid, user_uid, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri)
